import { latency } from '../chaos/faults/latency.ts';
import { defineScenario } from './define-scenario.ts';

export default defineScenario({
  name: 'latency',
  proves:
    'a slow network (100 ms ± 30 ms each way on every connection) delays orders but loses none: confirms and acks simply arrive later',
  defaults: { rate: 100, duration: 30 },
  faults: ({ duration }) => [
    {
      at: Math.round(duration * 0.2),
      duration: Math.round(duration * 0.5),
      fault: latency({ side: 'both', stream: 'both', latencyMs: 100, jitterMs: 30 }),
    },
  ],
  checks: [],
  catches: [],
});
