import type { ClusterNodeControl, Fault } from '../fault.ts';
import { clusterOf, restartAndRejoin } from './cluster-env.ts';

/**
 * SIGKILL the node holding a quorum queue's leader (read from the management API at the moment of
 * the fault): the followers must elect a new leader and lose nothing confirmed. The heal starts the
 * node again and waits until it has rejoined.
 */
export function leaderKill(spec: { queue: string }): Fault {
  const name = 'leader-kill';
  let victim: ClusterNodeControl | undefined;
  return {
    name,
    traits: ['crashes-broker', 'cuts-connections'],
    description: `SIGKILL the node leading quorum queue ${spec.queue}, then start it again and wait until it rejoins`,
    async start(env) {
      const cluster = clusterOf(env, name);
      const leader = await cluster.leaderOf(spec.queue);
      victim = cluster.nodes.find((n) => n.name === leader && n.running);
      if (!victim) throw new Error(`${name}: no running node leads ${spec.queue} (leader: ${leader ?? 'none'})`);
      env.log(`${name}: ${spec.queue} is led by ${victim.name}: SIGKILL`);
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
