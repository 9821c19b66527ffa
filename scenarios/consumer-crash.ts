import { consumerCrash } from '../chaos/faults/consumer-crash.ts';
import { defineScenario } from './define-scenario.ts';

export default defineScenario({
  name: 'consumer-crash',
  proves:
    'a worker killed (SIGKILL) in the middle of processing loses nothing: ' +
    'its unacknowledged messages are redelivered to the other instances and processed once',
  defaults: { rate: 100, duration: 30 },
  // Payments is the slow step (a gateway call), so a payments worker always holds work when it dies; two
  // payments crashes make the auto-ack flaw lose messages on every run, not just on most.
  faults: ({ duration }) => [
    { at: Math.round(duration * 0.2), duration: 4, fault: consumerCrash({ role: 'payments' }) },
    { at: Math.round(duration * 0.4), duration: 4, fault: consumerCrash({ role: 'inventory' }) },
    { at: Math.round(duration * 0.6), duration: 4, fault: consumerCrash({ role: 'payments' }) },
  ],
  checks: [],
  catches: ['auto-ack'],
});
