import type { ClusterNodeControl, Fault } from '../fault.ts';
import { pickNode, restartAndRejoin } from './cluster-env.ts';

/**
 * One cluster node lost, then back on the same data: SIGKILL (`node-kill`: no flush, a crash) or a
 * graceful stop (`node-stop`). The other nodes keep a quorum; clients on the lost node must fail
 * over. The heal waits until the node has rejoined, so the next fault meets a whole cluster.
 */
export function nodeLoss(spec: { how: 'kill' | 'stop'; node?: string }): Fault {
  const name = spec.how === 'kill' ? 'node-kill' : 'node-stop';
  let victim: ClusterNodeControl | undefined;
  return {
    name,
    traits:
      spec.how === 'kill'
        ? ['crashes-broker', 'cuts-connections', 'loses-one-node']
        : ['stops-broker', 'cuts-connections', 'loses-one-node'],
    description:
      spec.how === 'kill'
        ? 'SIGKILL one cluster node (the others keep a quorum), then start it again on its data and wait until it rejoins'
        : 'stop one cluster node gracefully, then start it again and wait until it rejoins',
    async start(env) {
      victim = pickNode(env, name, spec.node);
      env.log(`${name}: ${spec.how} ${victim.name}`);
      await (spec.how === 'kill' ? victim.kill() : victim.stop());
    },
    async stop(env) {
      if (!victim) return;
      await restartAndRejoin(env, name, victim);
      victim = undefined;
    },
    healLeadSeconds: () => victim?.lastBootSeconds ?? 0,
  };
}
