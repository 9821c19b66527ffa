import type { HistoryEvent, Intent } from '../../instrument/history-event.ts';
import { historyIndex, type HistoryIndex } from '../history/history-index.ts';
import type { DeadLetterReason, DeclaredTopology, IntentDeath } from '../target/target.ts';
import { publishOutcomes } from './publish-outcomes.ts';
import { routesOf } from './routes.ts';

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

/** The IntentIndex of this history, built once (dead-letter routing and the intent deaths both read it). */
export function intentIndexOf(events: readonly HistoryEvent[]): IntentIndex {
  return historyIndex(events).derived('intents', () => new IntentIndex(events));
}

/** Who meant what: intents recorded by the client (per order) and by direct publishers (per message). */
export class IntentIndex {
  readonly #orders = new Map<string, Intent>();
  readonly #messages = new Map<string, Intent>();
  readonly #index: HistoryIndex;
  /**
   * The order a message belongs to, from any event that names both (a dead letter may lack the
   * header). Built on the first question without an order id: most come with one.
   */
  #orderOfMap?: Map<string, string>;

  constructor(events: readonly HistoryEvent[]) {
    this.#index = historyIndex(events);
    for (const e of this.#index.ofKind('order-request')) if (e.intent) this.#orders.set(e.orderId, e.intent);
    for (const e of this.#index.ofKind('publish-attempt')) if (e.intent) this.#messages.set(e.id, e.intent);
  }

  get #orderOf(): Map<string, string> {
    if (!this.#orderOfMap) {
      const orderOf = (this.#orderOfMap = new Map<string, string>());
      this.#index.forEachOfKinds(['publish-attempt', 'deliver', 'handled'], (e) => {
        if ((e.kind === 'publish-attempt' || e.kind === 'deliver' || e.kind === 'handled') && e.orderId) orderOf.set(e.id, e.orderId);
      });
    }
    return this.#orderOfMap;
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
  const intents = intentIndexOf(events);
  const routes = routesOf(topology);
  const landed = new Map<string, string | undefined>();
  // Keyed queue -> ids and process -> ids (nested maps, not a joined string per event: a million events made a million keys).
  const rejected = new KeyedSet();
  const handledAt = new KeyedSet();
  /** Where each direct publish went (default exchange: the routing key is the queue). */
  const publishedTo = new Map<string, string>();
  /** id -> the (shared, memoised) route lists of its publishes that route somewhere; nearly every id has one. */
  const routedTo = new Map<string, readonly string[]>();
  const moreRoutes = new Map<string, (readonly string[])[]>();
  const bounded = topology.bestEffortQueues.filter((q) => topology.boundedQueues[q] !== undefined);
  const boundedQueues = new Set(bounded);
  const index = historyIndex(events);
  index.forEachOfKinds(['publish-attempt', 'publish-result', 'handled', 'deliver', 'dead-lettered', 'reject', 'nack'], (e) => {
    if (e.kind === 'publish-attempt') {
      if (e.intent === 'malformed') publishedTo.set(e.id, e.routingKey);
      const queues = routes(e.exchange, e.routingKey);
      const first = routedTo.get(e.id);
      if (queues.length === 0 || first === queues) {
        // Nothing new: no route, or the same (memoised) route list again.
      } else if (!first) routedTo.set(e.id, queues);
      else {
        const more = moreRoutes.get(e.id);
        if (!more) moreRoutes.set(e.id, [queues]);
        else if (!more.includes(queues)) more.push(queues);
      }
    } else if (e.kind === 'publish-result') {
      if (e.outcome === 'ok' && !landed.has(e.id)) landed.set(e.id, e.orderId);
    } else if (e.kind === 'handled' || e.kind === 'deliver' || e.kind === 'dead-lettered') {
      // Absent, or landed without an order id so far (one lookup: get says undefined for both).
      if (landed.get(e.id) === undefined) landed.set(e.id, e.orderId);
      // Only a bounded feed's entries are asked about (was it handled, or dropped?).
      if (e.kind === 'handled' && boundedQueues.has(e.queue)) handledAt.add(e.queue, e.id);
    } else if ((e.kind === 'reject' && e.requeue !== true) || (e.kind === 'nack' && e.requeue === false)) {
      rejected.add(e.queue, e.id);
    }
  });
  /** Where messages no publish routed anywhere were seen (delivered, handled or dead-lettered): only those need it. */
  const seenIn = new Map<string, Set<string>>();
  let unrouted = false;
  for (const id of landed.keys()) if (!routedTo.has(id) && !publishedTo.has(id)) unrouted = true;
  if (unrouted)
    index.forEachOfKinds(['handled', 'deliver', 'dead-lettered'], (e) => {
      if ((e.kind === 'handled' || e.kind === 'deliver' || e.kind === 'dead-lettered') && !routedTo.has(e.id)) addTo(seenIn, e.id, e.queue);
    });
  const belongsTo = (id: string, queue: string): boolean => {
    if (publishedTo.has(id)) return publishedTo.get(id) === queue;
    const first = routedTo.get(id);
    if (!first) return seenIn.get(id)?.has(queue) ?? false;
    return first.includes(queue) || (moreRoutes.get(id)?.some((queues) => queues.includes(queue)) ?? false);
  };

  const out: ExpectedDeadLetter[] = [];
  /** Expiring messages: each confirmed copy expires, counted below for these ids only. */
  const expiring = new Map<string, number>();
  for (const [id, orderId] of landed) {
    const feed = bounded.find((q) => belongsTo(id, q));
    if (feed) {
      if (!handledAt.has(feed, id)) out.push({ id, queue: feed, reason: 'maxlen' });
      continue;
    }
    const death = intents.deathFor(intents.of(id, orderId), publishedTo.get(id), rules);
    if (!death || !belongsTo(id, death.queue)) continue;
    if (death.reason === 'expired') {
      out.push({ id, queue: death.queue, reason: 'expired' });
      expiring.set(id, 0);
    } else if (!rejected.has(death.queue, id)) out.push({ id, queue: death.queue, reason: death.reason });
  }
  if (expiring.size === 0) return out;
  // Copies sent through the default exchange (broker-side retry copies, republishes) are the same
  // copy's later attempts: only a confirmed publish through a declared exchange makes a new copy.
  for (const p of publishOutcomes(events, topology))
    if (p.outcome === 'ok' && p.exchange !== DEFAULT_EXCHANGE && expiring.has(p.id)) expiring.set(p.id, expiring.get(p.id)! + 1);
  return out.flatMap((x) => (x.reason === 'expired' ? Array.from({ length: Math.max(1, expiring.get(x.id)!) }, () => ({ ...x })) : [x]));
}

/** A set of (queue, id) pairs. */
class KeyedSet {
  readonly #sets = new Map<string, Set<string>>();

  add(queue: string, id: string): void {
    addTo(this.#sets, queue, id);
  }

  has(queue: string, id: string): boolean {
    return this.#sets.get(queue)?.has(id) ?? false;
  }
}

/** AMQP's default exchange: routes by queue name. */
const DEFAULT_EXCHANGE = '';

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}
