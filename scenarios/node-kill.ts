import { FIRST_NODE } from '../chaos/faults/cluster-env.ts';
import { nodeLoss } from '../chaos/faults/node-loss.ts';
import { defineScenario } from './define-scenario.ts';

/**
 * Kills the first node: every client starts there and declares the queues there, so it holds
 * whatever is not replicated (classic queues) and every quorum leader at the start: the node whose
 * loss tests the most. 25 s leaves ~10 s to measure availability after the 8 s grace and the
 * heal's head start (the node's last boot, ~7 s here).
 */
export default defineScenario({
  name: 'node-kill',
  proves:
    'SIGKILL of one node of a three-node cluster (the one every client starts on) loses no accepted order, ' +
    'the system keeps accepting orders on the other two nodes while it is down, and it rejoins',
  cluster: 3,
  defaults: { rate: 50, duration: 30, afterHeal: 8 },
  faults: () => [{ at: 5, duration: 25, fault: nodeLoss({ how: 'kill', node: FIRST_NODE }) }],
  checks: ({ rate }) => [{ name: 'availability', options: { targetRate: rate } }],
  catches: ['classic-in-cluster', 'single-node-client'],
  drainTimeout: 60,
});
