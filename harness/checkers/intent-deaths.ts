import { BEST_EFFORT_QUEUES, BOUNDED_QUEUES, EXCHANGES, QUEUES, RETRY_DELAYS_MS } from '../../system/amqp/topology.ts';
import type { HistoryEvent, Intent } from '../../instrument/history-event.ts';

export type DeadLetterReason = 'rejected' | 'expired' | 'maxlen' | 'delivery_limit';

/** A message that must die: where, and why. */
export interface ExpectedDeadLetter {
  id: string;
  reason: DeadLetterReason;
  /** The queue it must die in. */
  queue: string;
}

/** How a message sent with an intent must die: in which queue, with which reason, after how many broker-side retries. */
export interface IntentDeath {
  queue: string;
  reason: DeadLetterReason;
  retries: number;
}

/**
 * The reference system's rules (system/messages.ts): a poison order's payment fails every attempt
 * and is rejected after the configured retries; a flash order's payment expires at its deadline.
 * A malformed message dies where it was published, rejected at once (no retry can parse it).
 */
export const REFERENCE_INTENT_DEATHS: Readonly<Record<'poison' | 'expire', IntentDeath>> = {
  poison: { queue: QUEUES.paymentProcess, reason: 'rejected', retries: RETRY_DELAYS_MS.length },
  expire: { queue: QUEUES.paymentProcess, reason: 'expired', retries: 0 },
};

/** Who meant what: intents recorded by the client (per order) and by direct publishers (per message). */
export class IntentIndex {
  readonly #orders = new Map<string, Intent>();
  readonly #messages = new Map<string, Intent>();
  /** The order a message belongs to, from any event that names both (a dead letter may lack the header). */
  readonly #orderOf = new Map<string, string>();

  constructor(events: readonly HistoryEvent[]) {
    for (const e of events) {
      if (e.kind === 'order-request' && e.intent) this.#orders.set(e.orderId, e.intent);
      else if (e.kind === 'publish-attempt' && e.intent) this.#messages.set(e.id, e.intent);
      if ((e.kind === 'publish-attempt' || e.kind === 'deliver' || e.kind === 'handled') && e.orderId) this.#orderOf.set(e.id, e.orderId);
    }
  }

  /** A message's intent: its own, else its order's; a message nobody declared is meant to be processed. */
  of(id: string, orderId: string | undefined): Intent {
    const order = orderId || this.#orderOf.get(id);
    return this.#messages.get(id) ?? (order ? this.#orders.get(order) : undefined) ?? 'normal';
  }

  orderOf(id: string, orderId: string | undefined): string | undefined {
    return orderId || this.#orderOf.get(id);
  }

  /** The rule a dead letter of this intent must follow at `queue`, or undefined when it must not die at all. */
  deathFor(intent: Intent, publishedTo: string | undefined, rules: Readonly<Record<'poison' | 'expire', IntentDeath>>): IntentDeath | undefined {
    if (intent === 'malformed') return publishedTo ? { queue: publishedTo, reason: 'rejected', retries: 0 } : undefined;
    if (intent === 'poison' || intent === 'expire') return rules[intent];
    return undefined;
  }
}

/**
 * The deaths the workload's intents call for that the history cannot show by itself (a reject it
 * can): a poison payment that landed but whose reject was never recorded (a retry lost in a crash)
 * still had to die; every copy of an expiring payment the orders worker got confirmed expires; a
 * malformed message that landed must die where it was published; an entry of a bounded best-effort
 * feed that nobody handled was dropped from it (`maxlen`).
 * Only messages that did reach the broker count: confirmed, or seen by a consumer or the auditor.
 */
export function intentDeaths(events: readonly HistoryEvent[], rules: Readonly<Record<'poison' | 'expire', IntentDeath>> = REFERENCE_INTENT_DEATHS): ExpectedDeadLetter[] {
  const intents = new IntentIndex(events);
  const confirmedCopies = new Map<string, number>();
  const landed = new Map<string, string | undefined>();
  const rejected = new Set<string>();
  const handledAt = new Set<string>();
  /** Where each direct publish went (default exchange: the routing key is the queue). */
  const publishedTo = new Map<string, string>();
  /** proc/id -> exchanges of that process's publishes of the id still waiting for their result. */
  const pending = new Map<string, string[]>();
  for (const e of events) {
    if (e.kind === 'publish-attempt') {
      const k = `${e.proc}\u0000${e.id}`;
      pending.set(k, [...(pending.get(k) ?? []), e.exchange]);
      if (e.intent === 'malformed') publishedTo.set(e.id, e.routingKey);
    } else if (e.kind === 'publish-result') {
      const exchange = pending.get(`${e.proc}\u0000${e.id}`)?.shift();
      if (e.outcome !== 'ok') continue;
      if (!landed.has(e.id)) landed.set(e.id, e.orderId);
      // Retry copies of a payment go through the default exchange: only the first publish of each copy counts.
      if (exchange === EXCHANGES.payments.name) confirmedCopies.set(e.id, (confirmedCopies.get(e.id) ?? 0) + 1);
    } else if (e.kind === 'handled' || e.kind === 'deliver' || e.kind === 'dead-lettered') {
      if (!landed.has(e.id) || landed.get(e.id) === undefined) landed.set(e.id, e.orderId);
      if (e.kind === 'handled') handledAt.add(`${e.queue}\u0000${e.id}`);
    } else if ((e.kind === 'reject' && e.requeue !== true) || (e.kind === 'nack' && e.requeue === false)) {
      rejected.add(`${e.queue}\u0000${e.id}`);
    }
  }

  const out: ExpectedDeadLetter[] = [];
  for (const [id, orderId] of landed) {
    const bounded = bestEffortBoundedQueueOf(id);
    if (bounded) {
      if (!handledAt.has(`${bounded}\u0000${id}`)) out.push({ id, queue: bounded, reason: 'maxlen' });
      continue;
    }
    const death = intents.deathFor(intents.of(id, orderId), publishedTo.get(id), rules);
    if (!death || !messageBelongsTo(id, death.queue, publishedTo)) continue;
    if (death.reason === 'expired') {
      for (let k = 0; k < Math.max(1, confirmedCopies.get(id) ?? 0); k++) out.push({ id, queue: death.queue, reason: 'expired' });
    } else if (!rejected.has(`${death.queue}\u0000${id}`)) out.push({ id, queue: death.queue, reason: death.reason });
  }
  return out;
}

/** Message ids name their queue's message kind (`payment.process:<order>`, `order.audit:<order>`); injected ones carry their queue. */
function messageBelongsTo(id: string, queue: string, publishedTo: ReadonlyMap<string, string>): boolean {
  return publishedTo.has(id) ? publishedTo.get(id) === queue : id.startsWith(`${queue}:`);
}

function bestEffortBoundedQueueOf(id: string): string | undefined {
  return BEST_EFFORT_QUEUES.find((q) => BOUNDED_QUEUES[q] !== undefined && id.startsWith(`${q}:`));
}
