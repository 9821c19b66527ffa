import type { ClusterControl, ClusterNodeControl, Fault } from '../fault.ts';
import { clusterOf, restartAndRejoin } from './cluster-env.ts';

/**
 * SIGKILL the node holding a quorum queue's leader (read from the management API at the moment of
 * the fault): `queue`'s, or without one the node leading the most quorum queues. The followers
 * must elect a new leader and lose nothing confirmed. The heal starts the node again and waits
 * until it has rejoined. No quorum queue with a leader (classic queues only): the fault cannot
 * start, and the run says it tested nothing.
 */
export function leaderKill(spec: { queue?: string } = {}): Fault {
  const name = 'leader-kill';
  let victim: ClusterNodeControl | undefined;
  return {
    name,
    traits: ['crashes-broker', 'cuts-connections', 'loses-one-node'],
    description: `SIGKILL the node leading ${spec.queue ? `quorum queue ${spec.queue}` : 'the most quorum queues'}, then start it again and wait until it rejoins`,
    async start(env) {
      const cluster = clusterOf(env, name);
      const { leader, what } = await leaderToKill(cluster, spec.queue);
      victim = cluster.nodes.find((n) => n.name === leader && n.running);
      if (!victim) throw new Error(`${name}: no running node leads ${what} (leader: ${leader ?? 'none'})`);
      env.log(`${name}: ${victim.name} leads ${what}: SIGKILL`);
      await victim.kill();
    },
    async stop(env) {
      if (!victim) return;
      await restartAndRejoin(env, name, victim);
      victim = undefined;
    },
    healLeadSeconds: () => victim?.lastBootSeconds ?? 0,
  };
}

async function leaderToKill(cluster: ClusterControl, queue: string | undefined): Promise<{ leader?: string; what: string }> {
  if (queue !== undefined) {
    const leader = await cluster.leaderOf(queue);
    return { ...(leader ? { leader } : {}), what: `quorum queue ${queue}` };
  }
  const counts = new Map<string, number>();
  for (const leader of (await cluster.leaders()).values()) counts.set(leader, (counts.get(leader) ?? 0) + 1);
  const [top] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return top
    ? { leader: top[0], what: `${top[1]} of ${[...counts.values()].reduce((a, b) => a + b, 0)} quorum queues` }
    : { what: 'any quorum queue' };
}
