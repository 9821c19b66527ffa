import { brokerRestart } from '../chaos/faults/broker-restart.ts';
import { defineScenario } from './define-scenario.ts';

/** Fraction of the load duration after which the fault starts: orders are flowing and queues are busy. */
const FAULT_AT = 0.25;

export default defineScenario({
  name: 'broker-restart',
  proves: 'a graceful broker stop and start while orders flow loses no accepted order and no confirmed message at any stage',
  defaults: { rate: 100, duration: 30 },
  faults: ({ duration }) => [{ at: Math.max(1, Math.round(duration * FAULT_AT)), duration: 2, fault: brokerRestart() }],
  checks: [],
  catches: ['transient'],
});
