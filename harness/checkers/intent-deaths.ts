import type { HistoryEvent, Intent } from '../../instrument/history-event.ts';
import { historyIndex } from '../history/history-index.ts';
import type { DeadLetterReason, DeclaredTopology, IntentDeath } from '../target/target.ts';

export type { DeadLetterReason, IntentDeath } from '../target/target.ts';

/** A message that must die: where, and why. */
export interface ExpectedDeadLetter {
  id: string;
  reason: DeadLetterReason;
  /** The queue it must die in. */
  queue: string;
}

/** How poison and expiring messages must die: the target declares it (`DeclaredTopology.intentDeaths`). */
export type IntentDeathRules = Readonly<Partial<Record<'poison' | 'expire', IntentDeath>>>;

/** Who meant what: intents recorded by the client (per order) and by direct publishers (per message). */
export class IntentIndex {
  readonly #orders = new Map<string, Intent>();
  readonly #messages = new Map<string, Intent>();
  /** The order a message belongs to, from any event that names both (a dead letter may lack the header). */
  readonly #orderOf = new Map<string, string>();

  constructor(events: readonly HistoryEvent[]) {
    for (const e of historyIndex(events).ofKinds(['order-request', 'publish-attempt', 'deliver', 'handled'])) {
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

  /**
   * The rule a dead letter of this intent must follow, or undefined when it must not die at all.
   * A malformed message dies where it was published, rejected at once (no retry can parse it).
   */
  deathFor(intent: Intent, publishedTo: string | undefined, rules: IntentDeathRules): IntentDeath | undefined {
    if (intent === 'malformed') return publishedTo ? { queue: publishedTo, reason: 'rejected', retries: 0 } : undefined;
    if (intent === 'poison' || intent === 'expire') return rules[intent];
    return undefined;
  }
}

/**
 * The deaths the workload's intents call for that the history cannot show by itself (a reject it
 * can): a poison message that landed but whose reject was never recorded (a retry lost in a crash)
 * still had to die; every confirmed copy of an expiring message expires; a malformed message that
 * landed must die where it was published; an entry of a bounded best-effort queue that nobody
 * handled was dropped from it (`maxlen`).
 * Only messages that did reach the broker count: confirmed, or seen by a consumer or the auditor.
 * A message belongs to the queues its publishes route to (the declared topology), else to those it
 * was seen in.
 */
export function intentDeaths(
  events: readonly HistoryEvent[],
  topology: DeclaredTopology,
  rules: IntentDeathRules = topology.intentDeaths ?? {},
): ExpectedDeadLetter[] {
  const intents = new IntentIndex(events);
  const confirmedCopies = new Map<string, number>();
  const landed = new Map<string, string | undefined>();
  const rejected = new Set<string>();
  const handledAt = new Set<string>();
  /** Where each direct publish went (default exchange: the routing key is the queue). */
  const publishedTo = new Map<string, string>();
  /** id -> queues its publishes route to, else the queues it was delivered, handled or dead-lettered in. */
  const routedTo = new Map<string, Set<string>>();
  const seenIn = new Map<string, Set<string>>();
  /** proc/id -> that process's publishes of the id still waiting for their result. */
  const pending = new Map<string, { exchange: string; routingKey: string }[]>();
  const index = historyIndex(events);
  for (const e of index.ofKinds(['publish-attempt', 'publish-result', 'handled', 'deliver', 'dead-lettered', 'reject', 'nack'])) {
    if (e.kind === 'publish-attempt') {
      const k = `${e.proc}\u0000${e.id}`;
      pending.set(k, [...(pending.get(k) ?? []), { exchange: e.exchange, routingKey: e.routingKey }]);
      if (e.intent === 'malformed') publishedTo.set(e.id, e.routingKey);
      for (const q of topology.routesTo(e.exchange, e.routingKey)) addTo(routedTo, e.id, q);
    } else if (e.kind === 'publish-result') {
      const publish = pending.get(`${e.proc}\u0000${e.id}`)?.shift();
      if (e.outcome !== 'ok') continue;
      if (!landed.has(e.id)) landed.set(e.id, e.orderId);
      // Copies sent through the default exchange (broker-side retry copies, republishes) are the same
      // copy's later attempts: only a publish through a declared exchange makes a new copy.
      if (publish && publish.exchange !== DEFAULT_EXCHANGE) confirmedCopies.set(e.id, (confirmedCopies.get(e.id) ?? 0) + 1);
    } else if (e.kind === 'handled' || e.kind === 'deliver' || e.kind === 'dead-lettered') {
      if (!landed.has(e.id) || landed.get(e.id) === undefined) landed.set(e.id, e.orderId);
      addTo(seenIn, e.id, e.queue);
      if (e.kind === 'handled') handledAt.add(`${e.queue}\u0000${e.id}`);
    } else if ((e.kind === 'reject' && e.requeue !== true) || (e.kind === 'nack' && e.requeue === false)) {
      rejected.add(`${e.queue}\u0000${e.id}`);
    }
  }
  const belongsTo = (id: string, queue: string): boolean =>
    publishedTo.has(id) ? publishedTo.get(id) === queue : ((routedTo.get(id) ?? seenIn.get(id))?.has(queue) ?? false);
  const bounded = topology.bestEffortQueues.filter((q) => topology.boundedQueues[q] !== undefined);

  const out: ExpectedDeadLetter[] = [];
  for (const [id, orderId] of landed) {
    const feed = bounded.find((q) => belongsTo(id, q));
    if (feed) {
      if (!handledAt.has(`${feed}\u0000${id}`)) out.push({ id, queue: feed, reason: 'maxlen' });
      continue;
    }
    const death = intents.deathFor(intents.of(id, orderId), publishedTo.get(id), rules);
    if (!death || !belongsTo(id, death.queue)) continue;
    if (death.reason === 'expired') {
      for (let k = 0; k < Math.max(1, confirmedCopies.get(id) ?? 0); k++) out.push({ id, queue: death.queue, reason: 'expired' });
    } else if (!rejected.has(`${death.queue}\u0000${id}`)) out.push({ id, queue: death.queue, reason: death.reason });
  }
  return out;
}

/** AMQP's default exchange: routes by queue name. */
const DEFAULT_EXCHANGE = '';

function addTo(map: Map<string, Set<string>>, id: string, queue: string): void {
  let set = map.get(id);
  if (!set) map.set(id, (set = new Set()));
  set.add(queue);
}
