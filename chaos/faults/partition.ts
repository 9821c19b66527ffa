import type { Fault, PartitionHandle } from '../fault.ts';
import { clusterOf, pickNode } from './cluster-env.ts';

/** A paused minority normally resumes and rejoins within ~5 s of the heal. */
const RESUME_TIMEOUT_MS = 20_000;

/**
 * A real network partition: one node (seeded choice, or `node`) cut off from the others, both
 * ways or only its outgoing traffic (`oneWay`). Under pause_minority it pauses and closes its
 * clients' connections; they must fail over to the majority. The heal removes the cut and waits
 * until the cluster is whole again.
 */
export function partitionMinority(spec: { node?: string; oneWay?: boolean } = {}): Fault {
  const name = 'partition-minority';
  let partition: PartitionHandle | undefined;
  let minorityName: string | undefined;
  return {
    name,
    traits: ['partitions-cluster', 'cuts-connections', 'loses-one-node'],
    description: `cut one cluster node off from the others${spec.oneWay ? ' (its outgoing traffic only)' : ''}, then heal and wait until the cluster is whole`,
    async start(env) {
      const cluster = clusterOf(env, name);
      const minority = pickNode(env, name, spec.node);
      minorityName = minority.name;
      const majority = cluster.nodes.filter((n) => n !== minority).map((n) => n.name);
      env.log(`${name}: ${minority.name} cut off from ${majority.join(', ')}`);
      partition = await cluster.partition([[minority.name], majority], spec.oneWay ? { oneWay: true } : {});
      // In effect once the majority has noticed (net_ticktime): a cut nobody noticed yet tests nothing.
      await cluster.waitUntilSeenDown(minority.name);
      env.log(`${name}: ${majority.join(', ')} see ${minority.name} down`);
    },
    async stop(env) {
      const handle = partition;
      if (!handle) return;
      await handle.heal();
      partition = undefined;
      const cluster = clusterOf(env, name);
      try {
        await cluster.waitUntilWhole(RESUME_TIMEOUT_MS);
      } catch (err) {
        // RabbitMQ 3.10 on Erlang 25.1+ can hang resuming from a pause (its "global hang workaround"
        // no longer works there: rabbitmq-server#6034). An operator restarts the node; so do we, and say so.
        const stuck = minorityName ? cluster.nodes.find((n) => n.name === minorityName) : undefined;
        if (!stuck) throw err;
        env.log(
          `${name}: ${stuck.name} did not resume within ${RESUME_TIMEOUT_MS / 1000} s of the heal (${(err as Error).message}); restarting it`,
        );
        await stuck.kill();
        await stuck.start();
        await cluster.waitUntilWhole();
      }
    },
  };
}
