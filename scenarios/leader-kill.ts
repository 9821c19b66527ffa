import { leaderKill } from '../chaos/faults/leader-kill.ts';
import { defineScenario } from './define-scenario.ts';

/** The node leading the most quorum queues, read from the management API when the fault starts. */
export default defineScenario({
  name: 'leader-kill',
  proves:
    'SIGKILL of the node leading the quorum queues loses no accepted order: followers elect new leaders, ' +
    'the system keeps serving, and the node rejoins',
  cluster: 3,
  defaults: { rate: 50, duration: 25, afterHeal: 8 },
  faults: () => [{ at: 5, duration: 20, fault: leaderKill() }],
  checks: ({ rate }) => [{ name: 'availability', options: { targetRate: rate } }],
  // classic-in-cluster has no leader to kill: the fault cannot start and the run is UNKNOWN, not a catch.
  catches: [],
  drainTimeout: 60,
});
