import type { DeliverEvent, HandledEvent, HistoryEvent, LifecycleEvent, SettleEvent } from '../../instrument/history-event.ts';
import { historyIndex, type HistoryIndex } from '../history/history-index.ts';
import { PairLists } from './pair-map.ts';

/**
 * Rebuilds each consumer's deliveries from the history: which (channel, delivery tag) was settled
 * how, and which were left unsettled when their channel died. Delivery tags belong to a channel,
 * and channel numbers are reused by every new connection, so a delivery is identified by
 * (process, connection epoch, channel, tag). A process's epoch ends at a `disconnected` of its
 * consume connection (detail `<instance> consume: ...`) or a `start` (the process was restarted,
 * e.g. after a SIGKILL, and appends to the same history file). A killed process simply stops
 * writing: what it left unsettled ends with its history.
 */

export type AbandonedBy = 'disconnected' | 'restart' | 'end-of-history';

export interface TrackedDelivery {
  deliver: DeliverEvent;
  epoch: number;
  /** The first ack, nack or reject of this delivery. */
  settle?: SettleEvent;
  /** Settles of the same (channel, tag) after the first one: acknowledged twice. */
  extraSettles: SettleEvent[];
  /** Unsettled deliveries: when and why their channel went away. */
  abandonedAt?: number;
  abandonedBy?: AbandonedBy;
}

export interface DeliveryTrack {
  /** Every delivery, in history order. */
  deliveries: TrackedDelivery[];
  /** Settles that match no open delivery of their process's current connection (unknown or stale tag, or another message's id). */
  strays: SettleEvent[];
  /** Consume-connection boundaries per process, in time order. */
  boundaries: ReadonlyMap<string, readonly { t: number; why: 'disconnected' | 'restart' }[]>;
  /** The last event time of each process. */
  lastEventAt: ReadonlyMap<string, number>;
  /** The last event time of the whole history. */
  endOfHistory: number;
}

/** Events in time order; ties keep their order in the input (one process's file order). Sorted once per history (see history-index.ts). */
export function byTime(events: readonly HistoryEvent[]): readonly HistoryEvent[] {
  return historyIndex(events).sorted;
}

export function isConsumeBoundary(e: HistoryEvent): e is LifecycleEvent {
  if (e.kind !== 'lifecycle') return false;
  if (e.event === 'start') return true;
  return e.event === 'disconnected' && (e.detail ?? '').startsWith(`${e.proc} consume`);
}

export function isSettle(e: HistoryEvent): e is SettleEvent {
  return e.kind === 'ack' || e.kind === 'nack' || e.kind === 'reject';
}

/** Built once per history, whichever checker asks first. */
export function trackDeliveries(events: readonly HistoryEvent[]): DeliveryTrack {
  return historyIndex(events).derived('tracked-deliveries', (index) => track(index));
}

/** Shared by every delivery settled at most once (nearly all): one empty array instead of one each. Never mutated. */
const NO_SETTLES = Object.freeze([]) as unknown as SettleEvent[];

function track(index: HistoryIndex): DeliveryTrack {
  const deliveries: TrackedDelivery[] = [];
  const strays: SettleEvent[] = [];
  const boundaries = new Map<string, { t: number; why: 'disconnected' | 'restart' }[]>();
  const lastEventAt = lastEvents(index);
  /** proc -> open deliveries of the current epoch by channel, then tag (settled ones stay, to catch double settles). */
  const current = new Map<string, Map<number, Map<number, TrackedDelivery>>>();
  const epochs = new Map<string, number>();
  const endOfHistory = Math.max(0, index.endOfHistory);

  const closeEpoch = (proc: string, t: number, why: AbandonedBy) => {
    for (const channel of current.get(proc)?.values() ?? []) {
      for (const d of channel.values()) {
        if (d.settle) continue;
        d.abandonedAt = t;
        d.abandonedBy = why;
      }
    }
    current.set(proc, new Map());
  };

  index.forEachOfKinds(['lifecycle', 'deliver', 'ack', 'nack', 'reject'], (e) => {
    if (isConsumeBoundary(e)) {
      const why = e.event === 'start' ? 'restart' : 'disconnected';
      closeEpoch(e.proc, e.t, why);
      epochs.set(e.proc, (epochs.get(e.proc) ?? 0) + 1);
      let list = boundaries.get(e.proc);
      if (!list) boundaries.set(e.proc, (list = []));
      list.push({ t: e.t, why });
      return;
    }
    if (e.kind === 'deliver') {
      let open = current.get(e.proc);
      if (!open) current.set(e.proc, (open = new Map()));
      // `settle` declared up front: set later on nearly every delivery, it then needs no extra property storage.
      const d: TrackedDelivery = { deliver: e, epoch: epochs.get(e.proc) ?? 0, settle: undefined, extraSettles: NO_SETTLES };
      deliveries.push(d);
      let channel = open.get(e.channel);
      if (!channel) open.set(e.channel, (channel = new Map()));
      channel.set(e.deliveryTag, d);
      return;
    }
    if (isSettle(e)) {
      const d = current.get(e.proc)?.get(e.channel)?.get(e.deliveryTag);
      if (!d || d.deliver.id !== e.id || d.deliver.queue !== e.queue) strays.push(e);
      else if (d.settle) d.extraSettles = d.extraSettles === NO_SETTLES ? [e] : [...d.extraSettles, e];
      else d.settle = e;
    }
  });
  for (const proc of current.keys()) closeEpoch(proc, lastEventAt.get(proc) ?? endOfHistory, 'end-of-history');
  return { deliveries, strays, boundaries, lastEventAt, endOfHistory };
}

/** Each process's last event time, in order of the processes' first events: read from the end of the history. */
function lastEvents(index: HistoryIndex): Map<string, number> {
  const processes = index.processes();
  const last = new Map<string, number>();
  for (let i = index.sorted.length - 1; i >= 0 && last.size < processes.length; i--) {
    const e = index.sorted[i]!;
    if (!last.has(e.proc)) last.set(e.proc, e.t);
  }
  return new Map(processes.map((proc) => [proc, last.get(proc)!]));
}

/** The HandledIndex of this history, built once. */
export function handledIndex(events: readonly HistoryEvent[]): HandledIndex {
  return historyIndex(events).derived('handled', (index) => new HandledIndex(index.ofKind('handled')));
}

/** `handled` events by (queue, message id), for "was the effect committed between these two moments?". */
export class HandledIndex {
  /** queue -> id -> every handled event of that message at that queue, in time order. */
  readonly #byMessage = new PairLists<HandledEvent>();

  /** `events` in time order (see handledIndex). */
  constructor(events: readonly HistoryEvent[]) {
    for (const e of events) if (e.kind === 'handled') this.#byMessage.push(e.queue, e.id, e);
  }

  /** The first handled event of this process, queue and id with after < t <= upTo. */
  between(proc: string, queue: string, id: string, after: number, upTo = Infinity): HandledEvent | undefined {
    // Asked once per ack: no closure, no array for the usual lone event.
    const found = this.#byMessage.raw(queue, id);
    if (found === undefined) return undefined;
    if (!Array.isArray(found)) {
      const h = found as HandledEvent;
      return h.proc === proc && h.t > after && h.t <= upTo ? h : undefined;
    }
    for (const h of found as readonly HandledEvent[]) if (h.proc === proc && h.t > after && h.t <= upTo) return h;
    return undefined;
  }

  of(queue: string, id: string): readonly HandledEvent[] {
    return this.#byMessage.list(queue, id);
  }
}

export function messageKey(queue: string, id: string): string {
  return `${queue}\u0000${id}`;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Nearest-rank percentile of an ascending array (p in 0..1); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1]!;
}
