import type { Fault } from '../fault.ts';
import { clusterOf } from './cluster-env.ts';

/**
 * A rolling restart, as an upgrade does it: every node in turn stopped gracefully, started again,
 * and the next one only once the cluster is whole. All of it happens in `start` (the fault's
 * duration is how long the roll may take at least); the heal starts any node the roll left down.
 */
export function rollingRestart(): Fault {
  const name = 'rolling-restart';
  return {
    name,
    traits: ['stops-broker', 'cuts-connections'],
    description: 'stop and start every cluster node in turn, each once the cluster is whole again',
    async start(env) {
      const cluster = clusterOf(env, name);
      for (const node of cluster.nodes) {
        env.log(`${name}: restarting ${node.name}`);
        await node.stop();
        await node.start();
        await cluster.waitUntilWhole();
      }
    },
    async stop(env) {
      const cluster = clusterOf(env, name);
      for (const node of cluster.nodes) if (!node.running) await node.start();
      await cluster.waitUntilWhole();
    },
  };
}
