import type { HistoryEvent, HistoryEventKind } from '../../instrument/history-event.ts';

type EventOf<K extends HistoryEventKind> = Extract<HistoryEvent, { kind: K }>;

/**
 * One index over a run's history, shared by every checker: events in time order (sorted once),
 * by kind, by message id and by order id, plus whatever a checker derives from them (tracked
 * deliveries, handled events) built once through `derived`. A million-event history is then
 * scanned a handful of times per run instead of once or twice per checker.
 */
export class HistoryIndex {
  /** Every event in time order; ties keep their input order (one process's file order). */
  readonly sorted: readonly HistoryEvent[];
  /** The last event time, 0 for an empty history. */
  readonly endOfHistory: number;
  readonly #byKind = new Map<HistoryEventKind, HistoryEvent[]>();
  #byId?: Map<string, HistoryEvent[]>;
  #byOrder?: Map<string, HistoryEvent[]>;
  readonly #derived = new Map<string, unknown>();
  #processes?: readonly string[];

  constructor(events: readonly HistoryEvent[]) {
    this.sorted = isSorted(events) ? events : [...events].sort((a, b) => a.t - b.t);
    for (const e of this.sorted) push(this.#byKind, e.kind, e);
    this.endOfHistory = this.sorted.length ? this.sorted[this.sorted.length - 1]!.t : 0;
  }

  /** Events of one kind, in time order. */
  ofKind<K extends HistoryEventKind>(kind: K): readonly EventOf<K>[] {
    return (this.#byKind.get(kind) ?? []) as EventOf<K>[];
  }

  /** Events of several kinds, in time order. */
  ofKinds(kinds: readonly HistoryEventKind[]): readonly HistoryEvent[] {
    const wanted = new Set(kinds);
    return this.sorted.filter((e) => wanted.has(e.kind));
  }

  /**
   * Visits the events of several kinds in time order without building their list: on a million
   * events such lists were most of the history again, held or left for the garbage collector.
   */
  forEachOfKinds(kinds: readonly HistoryEventKind[], visit: (e: HistoryEvent) => void): void {
    const wanted = new Set(kinds);
    for (const e of this.sorted) if (wanted.has(e.kind)) visit(e);
  }

  /** Every writing process, in order of its first event. */
  processes(): readonly string[] {
    if (!this.#processes) {
      const seen = new Set<string>();
      for (const e of this.sorted) seen.add(e.proc);
      this.#processes = [...seen];
    }
    return this.#processes;
  }

  /** Every event naming this message id, in time order. */
  byId(id: string): readonly HistoryEvent[] {
    if (!this.#byId) {
      this.#byId = new Map();
      for (const e of this.sorted) if ('id' in e && typeof e.id === 'string') push(this.#byId, e.id, e);
    }
    return this.#byId.get(id) ?? [];
  }

  /** Every event naming this order id, in time order. */
  byOrder(orderId: string): readonly HistoryEvent[] {
    if (!this.#byOrder) {
      this.#byOrder = new Map();
      for (const e of this.sorted) if ('orderId' in e && typeof e.orderId === 'string' && e.orderId) push(this.#byOrder, e.orderId, e);
    }
    return this.#byOrder.get(orderId) ?? [];
  }

  /** Something derived from the history, built on first use and shared by every later caller under the same key. */
  derived<T>(key: string, build: (index: HistoryIndex) => T): T {
    if (!this.#derived.has(key)) this.#derived.set(key, build(this));
    return this.#derived.get(key) as T;
  }
}

const cache = new WeakMap<readonly HistoryEvent[], { length: number; index: HistoryIndex }>();

/**
 * The index of this events array, built once: the runner hands every checker the same array, so
 * nobody needs to pass the index around. An array that grew since (a test adding events after a
 * first check) gets a fresh index.
 */
export function historyIndex(events: readonly HistoryEvent[]): HistoryIndex {
  const hit = cache.get(events);
  if (hit && hit.length === events.length) return hit.index;
  const index = new HistoryIndex(events);
  cache.set(events, { length: events.length, index });
  return index;
}

function isSorted(events: readonly HistoryEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (events[i]!.t < events[i - 1]!.t) return false;
  return true;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
