import { consumerCrash } from '../chaos/faults/consumer-crash.ts';
import type { OrderMix } from '../load/order-body.ts';
import { defineScenario } from './define-scenario.ts';

/** 5% poison orders (the gateway always fails them) and 5% flash-sale orders (their payment expires). */
const MIX: OrderMix = { poison: 0.05, flash: 0.05 };
/**
 * A slow auditor: 20 work slots of 1 s drain the audit feed at 20 orders/s, below the default
 * rate, so the bounded feed overflows for most of the run and drops its oldest entries (`maxlen`).
 */
const AUDIT_MS = 1_000;
/**
 * Each payments worker is killed once while poison payments wait out their backoff, and the
 * dead-letter auditor once while dead letters (malformed messages among them) and the audit feed
 * flow to it; each is restarted after CRASH_SECONDS.
 */
const CRASHES: readonly { at: number; role: string; instance: string }[] = [
  { at: 0.3, role: 'payments', instance: 'payments-1' },
  { at: 0.45, role: 'dead-letter', instance: 'dead-letter-1' },
  { at: 0.6, role: 'payments', instance: 'payments-2' },
];
const CRASH_SECONDS = 3;

export default defineScenario({
  name: 'dlx',
  proves:
    'what cannot be processed ends in the dead-letter queue exactly once with the right reason: ' +
    'poison payments after three broker-side retries with backoff (rejected), ' +
    'flash-sale payments past their deadline (expired), the overflow of the bounded audit feed (maxlen), ' +
    'messages no worker can parse injected straight into every unbounded work queue ' +
    '(rejected at once, never acked and dropped); ' +
    'a payments worker crash while retries wait and a dead-letter auditor crash lose none of them, ' +
    'and nothing else is dead-lettered or charged twice',
  defaults: { rate: 50, duration: 30 },
  workload: { mix: MIX, inject: 'malformed' },
  settings: { processingMs: { 'dead-letter': AUDIT_MS } },
  faults: ({ duration }) =>
    CRASHES.map((c) => ({
      at: Math.max(1, Math.round(duration * c.at)),
      duration: CRASH_SECONDS,
      fault: consumerCrash({ role: c.role, instance: c.instance }),
    })),
  // What had to die (poison, flash, the feed's overflow, the injected malformed messages) follows from the intents the history records.
  checks: ['dead-letter-routing', 'zero-loss', 'effects'],
  catches: ['no-dlx', 'timer-retry', 'drop-malformed'],
});
