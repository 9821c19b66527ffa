import { defineScenario } from './define-scenario.ts';

/**
 * Two payments workers, one four times slower than the other, and more orders than both can take:
 * a backlog waits in payment.process throughout. With the reference prefetch (20 = its work slots)
 * each worker holds only what it is working on, so the broker hands the backlog out as they free
 * up: about 80% to the fast one. With the article's prefetch 1000 both take half of everything at
 * once, and the slow one sits on a backlog the fast one, idle, could have processed.
 */
const FAST_MS = 300;
const SLOW_MS = 4 * FAST_MS;

export default defineScenario({
  name: 'prefetch-fairness',
  proves:
    'consumers of different speeds share a backlog in proportion to their capacity: ' +
    'with the reference prefetch no consumer holds more unacked deliveries than the prefetch, none starves, ' +
    'and a slow one never hoards messages a fast one could have taken',
  // Capacity is 20 slots / 300 ms + 20 / 1200 ms = 83 orders/s: at 100/s a backlog builds from the start.
  defaults: { rate: 100, duration: 20 },
  settings: {
    processingMs: { payments: FAST_MS },
    instanceProcessingMs: { 'payments-1': FAST_MS, 'payments-2': SLOW_MS },
  },
  faults: () => [],
  checks: [{ name: 'prefetch-fairness', options: { capacityByConsumer: { 'payments-1': 1 / FAST_MS, 'payments-2': 1 / SLOW_MS } } }],
  catches: ['prefetch-unbounded'],
  // The reference drains its backlog in a few seconds; a hoarding slow consumer needs far longer and is judged as it stands.
  drainTimeout: 20,
});
