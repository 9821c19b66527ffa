import { FIRST_NODE } from '../chaos/faults/cluster-env.ts';
import { partitionMinority } from '../chaos/faults/partition.ts';
import { defineScenario } from './define-scenario.ts';

/**
 * Cuts the first node (where every client starts) off from the other two with real dropped
 * packets. It counts as in effect once the majority has noticed (net_ticktime 10 s: ~10-15 s);
 * under pause_minority the cut-off node then pauses and closes its clients' connections.
 */
export default defineScenario({
  name: 'partition-minority',
  proves:
    'a network partition that cuts one node off from the other two (pause_minority) loses no accepted order, ' +
    'the majority keeps accepting orders, and the cluster heals whole',
  cluster: 3,
  defaults: { rate: 50, duration: 25, afterHeal: 8 },
  faults: () => [{ at: 5, duration: 20, fault: partitionMinority({ node: FIRST_NODE }) }],
  checks: ({ rate }) => [{ name: 'availability', options: { targetRate: rate } }],
  catches: ['classic-in-cluster', 'single-node-client'],
  drainTimeout: 60,
});
