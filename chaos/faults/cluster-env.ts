import type { ClusterControl, ClusterNodeControl, FaultEnv } from '../fault.ts';

export class NoClusterError extends Error {
  constructor(fault: string) {
    super(`${fault} needs a cluster: run the scenario with --cluster 3 (a single-node run has no other node to lose)`);
    this.name = 'NoClusterError';
  }
}

/** The run's cluster, or a clear error: a cluster fault on one node would test nothing. */
export function clusterOf(env: FaultEnv, fault: string): ClusterControl {
  if (!env.cluster) throw new NoClusterError(fault);
  return env.cluster;
}

/** Names the first node of the cluster: the one every client connects to first, where queues are declared. */
export const FIRST_NODE = 'first';

/** A running node, by name, `first`, or by the run's seeded choice (same seed, same node). */
export function pickNode(env: FaultEnv, fault: string, name?: string): ClusterNodeControl {
  const cluster = clusterOf(env, fault);
  const wanted = name === FIRST_NODE ? cluster.nodes[0]?.name : name;
  const candidates = cluster.nodes.filter((n) => n.running && (wanted === undefined || n.name === wanted));
  const node = candidates[Math.min(candidates.length - 1, Math.floor(env.random() * candidates.length))];
  if (!node) throw new Error(`${fault}: no running cluster node${name ? ` named ${name}` : ''} to act on`);
  return node;
}

/** The heal of a node-loss fault: the node started again if it is down, then the cluster whole again. */
export async function restartAndRejoin(env: FaultEnv, fault: string, node: ClusterNodeControl): Promise<void> {
  if (!node.running) await node.start();
  await clusterOf(env, fault).waitUntilWhole();
}
