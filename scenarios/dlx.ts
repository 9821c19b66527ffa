import { consumerCrash } from '../chaos/faults/consumer-crash.ts';
import type { ExpectedDeadLetter } from '../harness/checkers/dead-letter-routing.ts';
import { DEFAULT_SYSTEM_SPEC } from '../harness/env/order-system.ts';
import { orderMarker, type OrderMix } from '../load/order-body.ts';
import { EXCHANGES, QUEUES } from '../system/amqp/topology.ts';
import type { HistoryEvent } from '../system/history/history-event.ts';
import { defineScenario } from './define-scenario.ts';

/** 5% poison orders (the gateway always fails them) and 5% flash-sale orders (their payment expires). */
const MIX: OrderMix = { poison: 0.05, flash: 0.05 };
/**
 * A slow auditor: 20 work slots of 1 s drain the audit feed at 20 orders/s, below the default
 * rate, so the bounded feed overflows for most of the run and drops its oldest entries (`maxlen`).
 */
const AUDIT_MS = 1_000;
/** Each payments worker is killed once while poison payments wait out their backoff, then restarted. */
const CRASHES: readonly { at: number; instance: string }[] = [
  { at: 0.3, instance: 'payments-1' },
  { at: 0.6, instance: 'payments-2' },
];
const CRASH_SECONDS = 3;

export default defineScenario({
  name: 'dlx',
  proves:
    'what cannot be processed ends in the dead-letter queue exactly once with the right reason: poison payments after three broker-side retries with backoff (rejected), flash-sale payments past their deadline (expired), the overflow of the bounded audit feed (maxlen); a payments worker crash while retries wait loses none of them, and nothing else is dead-lettered or charged twice',
  defaults: { rate: 50, duration: 30 },
  workload: { mix: MIX },
  system: { processingMs: { ...DEFAULT_SYSTEM_SPEC.processingMs, 'dead-letter': AUDIT_MS } },
  faults: ({ duration }) => CRASHES.map((c) => ({ at: Math.max(1, Math.round(duration * c.at)), duration: CRASH_SECONDS, fault: consumerCrash({ role: 'payments', instance: c.instance }) })),
  checks: ({ seed }) => [{ name: 'dead-letter-routing', options: { expectDeadLetters: (events) => expectedDeadLetters(events, seed, MIX) } }, 'zero-loss', 'effects'],
  catches: ['no-dlx', 'timer-retry'],
});

const PAYMENT_ID = /^payment\.process:(order-(-?\d+)-(\d+))$/;
const AUDIT_ID = /^order\.audit:/;

/**
 * The deaths the workload calls for, beyond the rejects the history shows by itself:
 * - every copy of a flash order's payment that the orders worker got confirmed expires (its
 *   deadline is shorter than the gateway call);
 * - a poison order's payment is rejected after its last attempt; if the history shows no such
 *   reject (a retry lost in a crash), it still had to die;
 * - an audit-feed entry the auditor never handled was dropped from the bounded feed (`maxlen`).
 * Only messages that did reach the broker count: confirmed, or seen by a consumer or the auditor.
 */
export function expectedDeadLetters(events: readonly HistoryEvent[], seed: number, mix: OrderMix): ExpectedDeadLetter[] {
  const confirmedPayments = new Map<string, number>();
  const landed = new Set<string>();
  const rejected = new Set<string>();
  const audited = new Set<string>();
  /** proc/id -> exchanges of that process's publishes of the id still waiting for their result. */
  const pending = new Map<string, string[]>();
  for (const e of events) {
    if (e.kind === 'publish-attempt') {
      const k = `${e.proc}\u0000${e.id}`;
      pending.set(k, [...(pending.get(k) ?? []), e.exchange]);
    } else if (e.kind === 'publish-result') {
      const exchange = pending.get(`${e.proc}\u0000${e.id}`)?.shift();
      if (e.outcome !== 'ok') continue;
      landed.add(e.id);
      // Retry copies of a payment go through the default exchange: only the orders worker's requests are copies of their own.
      if (exchange === EXCHANGES.payments.name) confirmedPayments.set(e.id, (confirmedPayments.get(e.id) ?? 0) + 1);
    } else if (e.kind === 'handled' || e.kind === 'deliver' || e.kind === 'dead-lettered') {
      landed.add(e.id);
      if (e.kind === 'handled' && e.queue === QUEUES.orderAudit) audited.add(e.id);
    } else if ((e.kind === 'reject' && e.requeue !== true) || (e.kind === 'nack' && e.requeue === false)) {
      if (e.queue === QUEUES.paymentProcess) rejected.add(e.id);
    }
  }

  const out: ExpectedDeadLetter[] = [];
  for (const id of landed) {
    if (AUDIT_ID.test(id)) {
      if (!audited.has(id)) out.push({ id, queue: QUEUES.orderAudit, reason: 'maxlen' });
      continue;
    }
    const match = PAYMENT_ID.exec(id);
    if (!match || Number(match[2]) !== seed) continue;
    const marker = orderMarker(seed, Number(match[3]), mix);
    if (marker === 'flash') {
      for (let k = 0; k < Math.max(1, confirmedPayments.get(id) ?? 0); k++) out.push({ id, queue: QUEUES.paymentProcess, reason: 'expired' });
    } else if (marker === 'poison' && !rejected.has(id)) {
      out.push({ id, queue: QUEUES.paymentProcess, reason: 'rejected' });
    }
  }
  return out;
}
