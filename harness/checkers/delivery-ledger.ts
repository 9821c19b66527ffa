import type { HistoryEvent, Intent, Outcome } from '../../instrument/history-event.ts';
import type { DeclaredTopology } from '../target/target.ts';
import { routesOf, type Routes } from './routes.ts';

/** How many ids a result lists per category: enough to act on, not a dump. */
export const MAX_LISTED_IDS = 50;

/** One stage's figures while the messages are scanned. */
interface StageTally {
  attempted: number;
  confirmed: number;
  recovered: number;
  inDoubt: number;
  lost: string[];
  stuck: string[];
}

interface MessageRecord {
  orderId: string;
  attempts: number;
  ok: number;
  fail: number;
  info: number;
  queues: readonly string[];
  intent?: Intent;
}

export interface StageAccount {
  queue: string;
  /** Messages somebody tried to publish into this queue. */
  attempted: number;
  /** ... of which the broker confirmed at least one publish. */
  confirmed: number;
  /** Distinct messages handled by a consumer of this queue or dead-lettered from it. */
  consumed: number;
  /** Confirmed, never consumed, and not read back from the broker at the end: gone. */
  lost: string[];
  lostCount: number;
  /** Confirmed, never consumed, and read back from the broker at the end (its own id): held, not lost. */
  stuck: string[];
  stuckCount: number;
  unexpected: string[];
  unexpectedCount: number;
  /** Messages consumed more than once (redeliveries): reported, allowed. */
  duplicated: number;
  /** Not confirmed (failed or unknown), yet consumed: the in-doubt publish did land. */
  recovered: number;
  /** Unknown outcome and never consumed: nobody promised it, nobody got it. */
  inDoubt: number;
  deadLettered: number;
}

export interface OrderAccount {
  /** Orders the API answered 202 for. */
  accepted: number;
  /** ... that reached a terminal state (completed or failed) or were dead-lettered. */
  accountedFor: number;
  completed: number;
  failed: number;
  deadLettered: number;
  /** 503 answers whose body said "in doubt", and timeouts. */
  inDoubt: number;
  /** In-doubt orders that did complete. */
  recovered: number;
  /** 400/409/503-fail answers: the order was refused, nothing promised. */
  refused: number;
  /** Accepted, not accounted for, and none of its messages read back at the end. */
  lost: string[];
  lostCount: number;
  /** Accepted, not accounted for, and some message of it read back from the broker at the end. */
  stuck: string[];
  stuckCount: number;
  /** Orders meant to be processed (intent `normal`) with a message in the dead-letter queue: a loss. */
  wronglyDeadLettered: string[];
  wronglyDeadLetteredCount: number;
}

/**
 * A Jepsen total-queue style ledger, per pipeline stage (queue) and end to end (orders). It
 * ingests history events incrementally, so the drain phase can ask "is anything still pending?"
 * while the run goes on, and the zero-loss checker reads the same figures at the end. Which queues
 * a publish lands in and which effects end an order come from the target's declared topology.
 */
export class DeliveryLedger {
  readonly #topology: DeclaredTopology;
  readonly #routes: Routes;
  readonly #terminalEffects: ReadonlySet<string>;
  readonly #messages = new Map<string, MessageRecord>();
  /** queue -> message id -> times handled */
  readonly #handled = new Map<string, Map<string, number>>();
  /** queue -> dead-lettered message ids */
  readonly #deadLettered = new Map<string, Set<string>>();
  readonly #clientOutcome = new Map<string, Outcome>();
  readonly #intent = new Map<string, Intent>();
  readonly #terminal = new Map<string, string>();
  readonly #deadLetteredOrders = new Set<string>();
  /** queue -> ids read back from it (or from its retry queues, or dead-lettered from it but unaudited) at the end. */
  readonly #readBack = new Map<string, Set<string>>();
  readonly #readBackOrders = new Set<string>();
  #terminalCount = 0;
  /** stages() and orders() as of the last ingest: zero-loss and liveness both ask, and nothing changed in between. */
  #stagesMemo?: StageAccount[];
  #ordersMemo?: OrderAccount;

  constructor(topology: DeclaredTopology) {
    this.#topology = topology;
    this.#routes = routesOf(topology);
    this.#terminalEffects = new Set([...(topology.terminalEffects?.completed ?? []), ...(topology.terminalEffects?.failed ?? [])]);
  }

  ingest(events: Iterable<HistoryEvent>): void {
    this.#stagesMemo = undefined;
    this.#ordersMemo = undefined;
    for (const e of events) this.#ingestOne(e);
  }

  #ingestOne(e: HistoryEvent): void {
    switch (e.kind) {
      case 'publish-attempt': {
        let m = this.#messages.get(e.id);
        if (!m) {
          // No spread of an optional field: a plain literal keeps a million-event run's records small and fast.
          m = { orderId: e.orderId, attempts: 0, ok: 0, fail: 0, info: 0, queues: this.#routes(e.exchange, e.routingKey) };
          if (e.intent) m.intent = e.intent;
          this.#messages.set(e.id, m);
        }
        m.attempts++;
        return;
      }
      case 'publish-result': {
        const m = this.#messages.get(e.id);
        if (m) m[e.outcome]++;
        return;
      }
      case 'handled': {
        let byId = this.#handled.get(e.queue);
        if (!byId) this.#handled.set(e.queue, (byId = new Map()));
        byId.set(e.id, (byId.get(e.id) ?? 0) + 1);
        if (this.#terminalEffects.has(e.effect) && !this.#terminal.has(e.orderId)) {
          this.#terminal.set(e.orderId, e.effect);
          this.#terminalCount++;
        }
        return;
      }
      case 'dead-lettered': {
        let ids = this.#deadLettered.get(e.queue);
        if (!ids) this.#deadLettered.set(e.queue, (ids = new Set()));
        ids.add(e.id);
        // A dropped entry of a best-effort feed (the audit log) says nothing about the order's own fate.
        if (e.orderId && !this.#topology.bestEffortQueues.includes(e.queue)) this.#deadLetteredOrders.add(e.orderId);
        return;
      }
      case 'order-request': {
        // A later ok (a retry with the same id) supersedes an earlier doubt or failure.
        const prior = this.#clientOutcome.get(e.orderId);
        if (prior !== 'ok') this.#clientOutcome.set(e.orderId, prior === 'info' && e.outcome === 'fail' ? 'info' : e.outcome);
        if (e.intent) this.#intent.set(e.orderId, e.intent);
        return;
      }
      case 'final-read': {
        // A copy waiting in a retry delay queue, or dead-lettered but not yet audited, is still held for its work queue.
        const queue = e.diedIn ?? this.#topology.retryTarget(e.queue) ?? e.queue;
        let ids = this.#readBack.get(queue);
        if (!ids) this.#readBack.set(queue, (ids = new Set()));
        ids.add(e.id);
        if (e.orderId) this.#readBackOrders.add(e.orderId);
        return;
      }
      default:
        return;
    }
  }

  get acceptedOrders(): number {
    let n = 0;
    for (const outcome of this.#clientOutcome.values()) if (outcome === 'ok') n++;
    return n;
  }

  get terminalOrders(): number {
    return this.#terminalCount;
  }

  /** What the drain phase waits for: accepted orders not yet accounted for, confirmed messages not yet consumed. */
  pending(): { orders: number; messages: number } {
    let orders = 0;
    for (const [orderId, outcome] of this.#clientOutcome) if (outcome === 'ok' && !this.#isAccounted(orderId)) orders++;
    let messages = 0;
    for (const [id, m] of this.#messages) {
      if (m.ok === 0) continue;
      for (const queue of m.queues) if (!this.#consumedAt(queue, id)) messages++;
    }
    return { orders, messages };
  }

  /** Every stage of the declared topology gets a row, also one nothing was published to. */
  stages(): StageAccount[] {
    if (this.#stagesMemo) return this.#stagesMemo;
    const queues = new Set<string>(this.#topology.workQueues);
    for (const m of this.#messages.values()) for (const q of m.queues) queues.add(q);
    for (const q of this.#handled.keys()) queues.add(q);
    if (this.#topology.deadLetterQueue !== undefined) queues.delete(this.#topology.deadLetterQueue);
    // One pass over the messages for every stage at once (they were scanned once per stage).
    const tallies = new Map<string, StageTally>();
    for (const q of queues) tallies.set(q, { attempted: 0, confirmed: 0, recovered: 0, inDoubt: 0, lost: [], stuck: [] });
    for (const [id, m] of this.#messages) {
      m.queues.forEach((queue, k) => {
        const tally = tallies.get(queue);
        // A queue listed twice by the routing is still one stage for the message.
        if (tally && m.queues.indexOf(queue) === k) this.#count(tally, queue, id, m);
      });
    }
    return (this.#stagesMemo = [...queues].sort().map((q) => this.#stage(q, tallies.get(q)!)));
  }

  #count(tally: StageTally, queue: string, id: string, m: MessageRecord): void {
    tally.attempted++;
    const consumed = this.#consumedAt(queue, id);
    if (m.ok > 0) {
      tally.confirmed++;
      if (!consumed) (this.#readBack.get(queue)?.has(id) ? tally.stuck : tally.lost).push(id);
    } else if (consumed) tally.recovered++;
    else if (m.info > 0 || m.attempts > m.fail + m.info) tally.inDoubt++;
  }

  #stage(queue: string, tally: StageTally): StageAccount {
    const handled = this.#handled.get(queue) ?? new Map<string, number>();
    const dead = this.#deadLettered.get(queue) ?? new Set<string>();
    const { lost, stuck } = tally;
    const unexpected: string[] = [];
    // Consumed ids: handled first, then dead-lettered ones not handled (the order a union set would have).
    let consumed = handled.size;
    for (const id of handled.keys()) if (!this.#messages.get(id)?.queues.includes(queue)) unexpected.push(id);
    for (const id of dead) {
      if (handled.has(id)) continue;
      consumed++;
      if (!this.#messages.get(id)?.queues.includes(queue)) unexpected.push(id);
    }
    let duplicated = 0;
    for (const count of handled.values()) if (count > 1) duplicated++;
    return {
      queue,
      attempted: tally.attempted,
      confirmed: tally.confirmed,
      consumed,
      lost: lost.slice(0, MAX_LISTED_IDS),
      lostCount: lost.length,
      stuck: stuck.slice(0, MAX_LISTED_IDS),
      stuckCount: stuck.length,
      unexpected: unexpected.slice(0, MAX_LISTED_IDS),
      unexpectedCount: unexpected.length,
      duplicated,
      recovered: tally.recovered,
      inDoubt: tally.inDoubt,
      deadLettered: dead.size,
    };
  }

  orders(): OrderAccount {
    if (this.#ordersMemo) return this.#ordersMemo;
    const lost: string[] = [];
    const stuck: string[] = [];
    const wronglyDeadLettered: string[] = [];
    let accepted = 0;
    let accountedFor = 0;
    let completed = 0;
    let failed = 0;
    let deadLettered = 0;
    let inDoubt = 0;
    let recovered = 0;
    let refused = 0;
    for (const [orderId, outcome] of this.#clientOutcome) {
      const accounted = this.#isAccounted(orderId);
      if (this.#deadLetteredOrders.has(orderId) && this.intentOf(orderId) === 'normal') wronglyDeadLettered.push(orderId);
      if (outcome === 'ok') {
        accepted++;
        if (!accounted) {
          (this.#readBackOrders.has(orderId) ? stuck : lost).push(orderId);
          continue;
        }
        accountedFor++;
        const effect = this.#terminal.get(orderId);
        if (effect === undefined) deadLettered++;
        else if (this.#topology.terminalEffects?.completed.includes(effect)) completed++;
        else failed++;
      } else if (outcome === 'info') {
        inDoubt++;
        if (accounted) recovered++;
      } else refused++;
    }
    return (this.#ordersMemo = {
      accepted,
      accountedFor,
      completed,
      failed,
      deadLettered,
      inDoubt,
      recovered,
      refused,
      lost: lost.slice(0, MAX_LISTED_IDS),
      lostCount: lost.length,
      stuck: stuck.slice(0, MAX_LISTED_IDS),
      stuckCount: stuck.length,
      wronglyDeadLettered: wronglyDeadLettered.slice(0, MAX_LISTED_IDS),
      wronglyDeadLetteredCount: wronglyDeadLettered.length,
    });
  }

  /** What the client meant the order to do; an order sent without saying (old histories) is `normal`. */
  intentOf(orderId: string): Intent {
    return this.#intent.get(orderId) ?? 'normal';
  }

  /** What the publisher meant a message to do, when it said (messages injected straight into a queue). */
  messageIntent(id: string): Intent | undefined {
    return this.#messages.get(id)?.intent;
  }

  /** Ids read back from the broker at the end, per queue they were held for. */
  readBack(): ReadonlyMap<string, ReadonlySet<string>> {
    return this.#readBack;
  }

  /**
   * Finished: a terminal effect, or dead-lettered when the workload meant it to die. A normal order
   * in the dead-letter queue is not finished: a worker threw away an order it had to process.
   */
  #isAccounted(orderId: string): boolean {
    return this.#terminal.has(orderId) || (this.#deadLetteredOrders.has(orderId) && this.intentOf(orderId) !== 'normal');
  }

  #consumedAt(queue: string, id: string): boolean {
    return (this.#handled.get(queue)?.has(id) ?? false) || (this.#deadLettered.get(queue)?.has(id) ?? false);
  }
}
