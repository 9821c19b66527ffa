import { memoryAlarm } from '../chaos/faults/memory-alarm.ts';
import { defineScenario } from './define-scenario.ts';

export default defineScenario({
  name: 'memory-alarm',
  proves:
    'when the broker raises a memory alarm and blocks every publisher, ' +
    'the API stops promising (503 in doubt, never a 202 it cannot keep) ' +
    'and every accepted order completes once the alarm clears',
  defaults: { rate: 100, duration: 30 },
  faults: ({ duration }) => [{ at: Math.round(duration * 0.25), duration: 8, fault: memoryAlarm() }],
  checks: [],
  catches: [],
});
