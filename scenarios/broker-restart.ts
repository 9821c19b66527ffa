import { brokerRestart } from '../chaos/faults/broker-restart.ts';
import { defineScenario } from './define-scenario.ts';

/** Fraction of the load duration after which the fault starts: orders are flowing and queues are busy. */
const FAULT_AT = 0.25;

export default defineScenario({
  name: 'broker-restart',
  proves: 'a graceful broker stop and start while orders flow loses no accepted order and no confirmed message at any stage',
  // Short, for a verdict within 30 s: the stop at 3 s, the broker back by ~6 s (its boot begins at
  // once: see healLeadSeconds), then 8 s of orders through the restarted broker (recovery takes ~1 s).
  defaults: { rate: 100, duration: 12, afterHeal: 8 },
  faults: ({ duration }) => [{ at: Math.max(1, Math.round(duration * FAULT_AT)), duration: 2, fault: brokerRestart() }],
  checks: [],
  catches: ['transient'],
});
