import type { Fault, PartitionHandle } from '../fault.ts';
import { clusterOf, pickNode } from './cluster-env.ts';

/**
 * A real network partition: one node (seeded choice, or `node`) cut off from the others, both
 * ways or only its outgoing traffic (`oneWay`). Under pause_minority it pauses and closes its
 * clients' connections; they must fail over to the majority. The heal removes the cut and waits
 * until the cluster is whole again.
 */
export function partitionMinority(spec: { node?: string; oneWay?: boolean } = {}): Fault {
  const name = 'partition-minority';
  let partition: PartitionHandle | undefined;
  return {
    name,
    traits: ['partitions-cluster', 'cuts-connections'],
    description: `cut one cluster node off from the others${spec.oneWay ? ' (its outgoing traffic only)' : ''}, then heal and wait until the cluster is whole`,
    async start(env) {
      const cluster = clusterOf(env, name);
      const minority = pickNode(env, name, spec.node);
      const majority = cluster.nodes.filter((n) => n !== minority).map((n) => n.name);
      env.log(`${name}: ${minority.name} cut off from ${majority.join(', ')}`);
      partition = await cluster.partition([[minority.name], majority], spec.oneWay ? { oneWay: true } : {});
    },
    async stop(env) {
      const handle = partition;
      if (!handle) return;
      await handle.heal();
      partition = undefined;
      await clusterOf(env, name).waitUntilWhole();
    },
  };
}
