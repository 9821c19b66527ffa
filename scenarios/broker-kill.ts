import { brokerKill } from '../chaos/faults/broker-kill.ts';
import { defineScenario } from './define-scenario.ts';

const FAULT_AT = 0.25;

export default defineScenario({
  name: 'broker-kill',
  proves: 'a broker crash (SIGKILL) and restart while orders flow loses no accepted order and no confirmed message at any stage',
  // Short, like broker-restart: the kill at 3 s, the broker back by ~6 s, then 8 s of orders through it.
  defaults: { rate: 100, duration: 12, afterHeal: 8 },
  faults: ({ duration }) => [{ at: Math.max(1, Math.round(duration * FAULT_AT)), duration: 2, fault: brokerKill() }],
  checks: [],
  catches: ['no-confirms'],
});
