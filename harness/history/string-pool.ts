import type { HistoryEvent } from '../../instrument/history-event.ts';

/**
 * One copy of each repeated string across a history. JSON.parse makes a fresh string for every
 * value, so a message id seen on ten events was held ten times: on a million-event history that
 * was half the parsed events' heap. Events keep their shape (instrument/history-event.ts); only
 * equal strings become the same string. The fields that repeat: a message's id and order id
 * appear on every event of its path, the names of processes, queues, exchanges, effects and kinds on most.
 */
export class StringPool {
  readonly #pool = new Map<string, string>();
  /** Per field, names (processes, queues, kinds, exchanges, effects): few values, found by comparison faster than by hashing a fresh string. */
  readonly #procs = new Names(this);
  readonly #kinds = new Names(this);
  readonly #queues = new Names(this);
  readonly #exchanges = new Names(this);
  readonly #keys = new Names(this);
  readonly #effects = new Names(this);
  readonly #outcomes = new Names(this);
  /** The last id and order id shared: a process writes an order's events together (deliver, handled, publishes, ack). */
  #lastId = '';
  #lastOrder = '';

  /** Replaces the event's repeated string fields with their pooled copies, in place (field by field: a loop over names was slower). */
  share(event: HistoryEvent): HistoryEvent {
    const e = event as unknown as Record<string, unknown>;
    if (typeof e.proc === 'string') e.proc = this.#procs.get(e.proc);
    if (typeof e.kind === 'string') e.kind = this.#kinds.get(e.kind);
    if (typeof e.id === 'string') e.id = e.id === this.#lastId ? this.#lastId : (this.#lastId = this.get(e.id));
    if (typeof e.orderId === 'string')
      e.orderId = e.orderId === this.#lastOrder ? this.#lastOrder : (this.#lastOrder = this.get(e.orderId));
    if (typeof e.queue === 'string') e.queue = this.#queues.get(e.queue);
    // A consumer is named after its process nearly always.
    if (typeof e.consumer === 'string') e.consumer = e.consumer === e.proc ? e.proc : this.#procs.get(e.consumer);
    if (typeof e.exchange === 'string') e.exchange = this.#exchanges.get(e.exchange);
    if (typeof e.routingKey === 'string') e.routingKey = this.#keys.get(e.routingKey);
    if (typeof e.effect === 'string') e.effect = this.#effects.get(e.effect);
    if (typeof e.outcome === 'string') e.outcome = this.#outcomes.get(e.outcome);
    if (typeof e.reason === 'string') e.reason = this.get(e.reason);
    return event;
  }

  /** The pooled copy of any string. */
  get(value: string): string {
    const pooled = this.#pool.get(value);
    if (pooled !== undefined) return pooled;
    this.#pool.set(value, value);
    return value;
  }
}

/** A handful of names, the last one found checked first; past MAX_NAMES the pool's map takes over. */
class Names {
  readonly #pool: StringPool;
  readonly #names: string[] = [];
  #last = 0;

  constructor(pool: StringPool) {
    this.#pool = pool;
  }

  get(value: string): string {
    const names = this.#names;
    if (names[this.#last] === value) return names[this.#last]!;
    for (let i = 0; i < names.length; i++) {
      if (names[i] !== value) continue;
      this.#last = i;
      return names[i]!;
    }
    if (names.length >= MAX_NAMES) return this.#pool.get(value);
    this.#last = names.push(value) - 1;
    return value;
  }
}

/** Beyond this many distinct names a scan costs more than a hash lookup. */
const MAX_NAMES = 16;
