import { rollingRestart } from '../chaos/faults/rolling-restart.ts';
import { defineScenario } from './define-scenario.ts';

/** Every node stopped and started in turn (an upgrade's roll): ~10-15 s a node here. */
export default defineScenario({
  name: 'rolling-restart',
  proves:
    'a rolling restart of every cluster node, one at a time as an upgrade does it, loses no accepted order ' +
    'and the system is back to full rate afterwards',
  cluster: 3,
  defaults: { rate: 50, duration: 20, afterHeal: 8 },
  faults: () => [{ at: 5, duration: 1, fault: rollingRestart() }],
  checks: [],
  catches: [],
  drainTimeout: 60,
});
