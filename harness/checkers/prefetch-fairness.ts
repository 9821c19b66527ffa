import type { HistoryEvent } from '../../instrument/history-event.ts';
import { historyIndex } from '../history/history-index.ts';
import { consumesWithAutoAck } from './acknowledgements.ts';
import type { Checker, CheckResult, RunRecord } from './checker.ts';
import { handledIndex, HandledIndex, percentile, trackDeliveries, type TrackedDelivery } from './delivery-tracking.ts';
import { configuredInstances, configuredPrefetch, configuredProcessingMs } from './run-settings.ts';
import { ViolationList } from './violation-list.ts';

export const DEFAULT_JAIN_THRESHOLD = 0.8;
/** Below this many deliveries a queue's work split is noise: fairness and starvation are not judged. */
export const DEFAULT_MIN_DELIVERIES = 50;
/** A consumer starves when it got less than this fraction of its fair share. */
export const DEFAULT_STARVATION_SHARE = 0.1;
export const DEFAULT_HOARD_WAIT_MS = 1_000;
const HOARD_PERCENTILE = 0.95;

export interface PrefetchFairnessOptions {
  /** The prefetch the consumers were configured with; default `run.system.prefetch`, else the target's declared default. */
  prefetch?: number;
  /** Relative speed per consumer instance (e.g. 1 / processingMs); absent = all equal. Missing instances count 1. */
  capacityByConsumer?: Record<string, number>;
  jainThreshold?: number;
  minDeliveries?: number;
  starvationShare?: number;
  hoardWaitMs?: number;
  /**
   * Service time per consumer for the hoarding measure; default the run's configured processing
   * time, else the consumer's fastest observed hold.
   */
  processingMsByConsumer?: Record<string, number>;
}

/** One channel sample from RabbitMQ's management API (/api/channels), converted by whoever polls it. */
export interface ChannelSample {
  /** Milliseconds, same clock as the history. */
  t: number;
  /** e.g. `payments-2 consume`. */
  connectionName: string;
  consumerCount: number;
  /** `prefetch_count`: the per-consumer (global=false) prefetch of the channel; 0 = unlimited. */
  prefetchCount: number;
  /** `messages_unacknowledged`. */
  unacked: number;
}

export class BrokerSamplesShapeError extends Error {
  constructor(detail: string) {
    super(
      `run.broker.channelSamples: ${detail}; expected an array of ` +
        '{ t: number, connectionName: string, consumerCount: number, prefetchCount: number, unacked: number }',
    );
    this.name = 'BrokerSamplesShapeError';
  }
}

export type PrefetchViolationKind =
  'over-prefetch' | 'broker-over-prefetch' | 'broker-prefetch-mismatch' | 'unfair' | 'starved' | 'hoarding';

const PHRASES: Record<PrefetchViolationKind, string> = {
  'over-prefetch': 'consumers held more unacked deliveries than the prefetch',
  'broker-over-prefetch': 'broker samples with more unacked than the channel prefetch',
  'broker-prefetch-mismatch': 'broker samples whose prefetch is not the configured one',
  unfair: 'queues with a Jain fairness index below the threshold',
  starved: 'consumers starved of work',
  hoarding: 'consumers hoarding messages that idle consumers could have processed',
};

export interface ConsumerShare {
  queue: string;
  consumer: string;
  deliveries: number;
  /** Fraction of the queue's deliveries. */
  share: number;
  /** Fraction of the queue's capacity: capacity x presence, normalised. */
  capacityShare: number;
  /** share / capacityShare: 1 = exactly its fair share. */
  utilisation: number;
  /** Fraction of the queue's active period (first to last delivery) the consumer was connected. */
  presence: number;
  maxUnacked: number;
  p95HoldMs: number;
  serviceMs: number;
  serviceSource: 'option' | 'configured' | 'fastest-observed';
  p95WaitMs: number;
  /** p95 of the waits an idle consumer could have avoided (0 for the others). */
  p95AvoidableWaitMs: number;
}

export interface QueueFairness {
  queue: string;
  deliveries: number;
  consumers: number;
  /** Jain's index (Σx)² / (n·Σx²) over utilisations; 1 = perfectly fair, 1/n = one consumer did everything. */
  jain: number;
  judged: boolean;
}

/**
 * Prefetch and work distribution, per queue and consumer (process):
 * - bound: the unacked count rebuilt from the history (deliver +1; ack, nack, reject -1; a dead
 *   consume connection or a restart resets it) never exceeds the prefetch. When the consumers
 *   consume with automatic acknowledgement (their deliveries say `autoAck`) the broker ignores
 *   prefetch: the count is deliveries not yet handled, and the bound is
 *   still what a consumer must not exceed. Broker channel samples, when given, must show
 *   unacked <= prefetch_count and prefetch_count = the configured prefetch (channels with consumers).
 * - fairness: a consumer's fair share of a queue is its capacity times its presence (the part of
 *   the queue's active period it was connected), normalised; utilisation = share of deliveries /
 *   fair share; Jain's index over utilisations must reach the threshold, and no consumer may get
 *   under `starvationShare` of its fair share while others worked. Judged only on queues with at
 *   least `minDeliveries` deliveries.
 * - hoarding: a settled delivery's wait is its hold time (deliver to settle) minus the consumer's
 *   service time (configured processing time, else its fastest hold). The wait is avoidable when,
 *   during it, another consumer of the queue was connected, had spare prefetch at some moment, and
 *   was not stalled itself (none of its own deliveries waiting longer than `hoardWaitMs`): that
 *   consumer could have taken the message and processed it sooner. A consumer hoards when the p95
 *   of its avoidable waits (0 for unavoidable ones) exceeds `hoardWaitMs`. A fault that slows
 *   every consumer is therefore not hoarding; a slow consumer sitting on its prefetch while a
 *   fast one idles is.
 */
export function prefetchFairnessChecker(options: PrefetchFairnessOptions = {}): Checker {
  return {
    name: 'prefetch-fairness',
    check(run): CheckResult {
      const prefetch = options.prefetch ?? configuredPrefetch(run);
      if (prefetch === undefined)
        return {
          valid: 'unknown',
          summary:
            `cannot check the prefetch bound: neither the run's settings nor target ${run.target} ` + 'say what prefetch the consumers use',
        };
      const settings = {
        prefetch,
        jainThreshold: options.jainThreshold ?? DEFAULT_JAIN_THRESHOLD,
        minDeliveries: options.minDeliveries ?? DEFAULT_MIN_DELIVERIES,
        starvationShare: options.starvationShare ?? DEFAULT_STARVATION_SHARE,
        hoardWaitMs: options.hoardWaitMs ?? DEFAULT_HOARD_WAIT_MS,
        capacity: options.capacityByConsumer ? 'option' : 'equal',
      };
      const autoAck = consumesWithAutoAck(run.events);
      const violations = new ViolationList<PrefetchViolationKind, Record<string, unknown>>();
      const track = trackDeliveries(run.events);
      const handled = handledIndex(run.events);
      const holds = buildHolds(track.deliveries, handled, autoAck);
      const presence = presenceIntervals(run.events, track.endOfHistory);
      const consumersOf = queueConsumers(run, holds);

      const shares: ConsumerShare[] = [];
      const queues: QueueFairness[] = [];
      for (const [queue, consumers] of consumersOf) {
        const channels = consumers.map((c) => holds.get(channelKey(c, queue)) ?? emptyChannel(c, queue));
        const total = channels.reduce((n, ch) => n + ch.holds.length, 0);
        let start = Infinity;
        let end = -Infinity;
        for (const ch of channels) {
          for (const h of ch.holds) {
            start = Math.min(start, h.from);
            end = Math.max(end, h.to);
          }
        }
        const weights = channels.map(
          (ch) => (options.capacityByConsumer?.[ch.consumer] ?? 1) * presenceIn(presence.get(ch.consumer), start, end),
        );
        const weightSum = weights.reduce((a, b) => a + b, 0);
        const services = channels.map((ch) => serviceTime(run, options, ch));
        const rows = channels.map((ch, i): ConsumerShare => {
          const share = total > 0 ? ch.holds.length / total : 0;
          const capacityShare = weightSum > 0 ? weights[i]! / weightSum : 0;
          const { serviceMs, serviceSource } = services[i]!;
          const done = ch.holds.filter((h) => h.completed);
          // Sorted as plain numbers; a wait is a non-decreasing function of its hold, so the waits come out sorted too.
          const holdTimes = Float64Array.from(done, (h) => h.to - h.from).sort();
          const waits = holdTimes.map((hold) => Math.max(0, hold - serviceMs));
          return {
            queue,
            consumer: ch.consumer,
            deliveries: ch.holds.length,
            share,
            capacityShare,
            utilisation: capacityShare > 0 ? share / capacityShare : 0,
            presence: presenceIn(presence.get(ch.consumer), start, end),
            maxUnacked: ch.max,
            p95HoldMs: percentile(holdTimes, HOARD_PERCENTILE),
            serviceMs,
            serviceSource,
            p95WaitMs: percentile(waits, HOARD_PERCENTILE),
            p95AvoidableWaitMs: 0,
          };
        });

        for (const row of rows) {
          if (row.maxUnacked > prefetch) {
            const ch = channels.find((c) => c.consumer === row.consumer)!;
            violations.add('over-prefetch', {
              consumer: row.consumer,
              queue,
              maxUnacked: row.maxUnacked,
              prefetch,
              firstExceededAt: ch.firstAbove(prefetch),
              ...(autoAck ? { note: 'auto-ack: the broker ignores prefetch; counted deliveries not yet handled' } : {}),
            });
          }
        }

        // Hoarding: only consumers whose plain p95 wait is already over the bar can have an avoidable p95 over it.
        const stalls = channels.map((ch, i) => new Stalls(ch.holds, services[i]!.serviceMs + settings.hoardWaitMs));
        for (const [i, row] of rows.entries()) {
          if (!(row.p95WaitMs > settings.hoardWaitMs)) continue;
          const others = channels.map((ch, j) => ({ ch, stalls: stalls[j]! })).filter((_, j) => j !== i);
          const avoidable = channels[i]!.holds.filter((h) => h.completed)
            .map((h) => {
              const wait = h.to - h.from - row.serviceMs;
              if (wait <= settings.hoardWaitMs) return 0;
              const from = h.from + row.serviceMs;
              const couldHaveTakenIt = others.some(
                (o) =>
                  presenceIn(presence.get(o.ch.consumer), from, h.to) > 0 &&
                  o.ch.minHeld(from, h.to) < prefetch &&
                  !o.stalls.overlaps(from, h.to),
              );
              return couldHaveTakenIt ? wait : 0;
            })
            .sort((a, b) => a - b);
          row.p95AvoidableWaitMs = percentile(avoidable, HOARD_PERCENTILE);
          if (row.p95AvoidableWaitMs > settings.hoardWaitMs) {
            violations.add('hoarding', {
              consumer: row.consumer,
              queue,
              p95WaitMs: round(row.p95WaitMs),
              p95AvoidableWaitMs: round(row.p95AvoidableWaitMs),
              serviceMs: row.serviceMs,
              hoardWaitMs: settings.hoardWaitMs,
            });
          }
        }

        const judgedRows = rows.filter((r) => r.capacityShare > 0);
        const jain = jainIndex(judgedRows.map((r) => r.utilisation));
        const judged = total >= settings.minDeliveries && judgedRows.length >= 2;
        queues.push({ queue, deliveries: total, consumers: judgedRows.length, jain, judged });
        if (judged) {
          if (jain < settings.jainThreshold) {
            violations.add('unfair', {
              queue,
              jain: round(jain),
              threshold: settings.jainThreshold,
              utilisations: Object.fromEntries(judgedRows.map((r) => [r.consumer, round(r.utilisation)])),
            });
          }
          for (const r of judgedRows) {
            if (r.share < settings.starvationShare * r.capacityShare && total - r.deliveries > 0) {
              violations.add('starved', {
                queue,
                consumer: r.consumer,
                deliveries: r.deliveries,
                share: round(r.share),
                fairShare: round(r.capacityShare),
              });
            }
          }
        }
        shares.push(...rows);
      }

      const broker = checkBrokerSamples(run, prefetch, violations);
      const table = {
        columns: [
          'queue',
          'consumer',
          'deliveries',
          'share',
          'capacity share',
          'utilisation',
          'max unacked',
          'p95 hold ms',
          'p95 wait ms',
          'jain',
        ],
        rows: queues.flatMap((q) => [
          ...shares
            .filter((s) => s.queue === q.queue)
            .map((s) => [
              s.queue,
              s.consumer,
              s.deliveries,
              round(s.share),
              round(s.capacityShare),
              round(s.utilisation),
              s.maxUnacked,
              roundOrDash(s.p95HoldMs),
              roundOrDash(s.p95WaitMs),
              '',
            ]),
          [q.queue, '(all)', q.deliveries, '', '', '', '', '', '', q.judged ? round(q.jain) : `${round(q.jain)} (not judged)`],
        ]),
      };
      const details = { settings, autoAck, queues, consumers: shares, broker, violations: violations.toRecord(), table };
      if (violations.count() > 0) return { valid: false, summary: violations.describe(PHRASES), ...details };
      if (track.deliveries.length === 0) return { valid: 'unknown', summary: 'no delivery in the history: nothing to check', ...details };
      const judgedQueues = queues.filter((q) => q.judged);
      const fairness = judgedQueues.length
        ? `Jain index >= ${settings.jainThreshold} on ${judgedQueues.length} queue(s) ` +
          `(lowest ${round(Math.min(...judgedQueues.map((q) => q.jain)))})`
        : `fairness not judged (no queue with ${settings.minDeliveries}+ deliveries and 2+ consumers)`;
      return {
        valid: true,
        summary:
          `${autoAck ? 'auto-ack: deliveries in progress' : 'unacked'} never above prefetch ${prefetch}` +
          `${broker.samplesChecked ? ` (${broker.samplesChecked} broker samples agree)` : ''}; ${fairness}; no hoarding`,
        ...details,
      };
    },
  };
}

interface Hold {
  from: number;
  to: number;
  /** Released by a settle (or, with auto-ack, a handled), not by its channel dying. */
  completed: boolean;
}

interface ChannelHolds {
  consumer: string;
  queue: string;
  holds: Hold[];
  max: number;
  /** When the held count first went above `limit`. */
  firstAbove(limit: number): number | undefined;
  /** The lowest held count at any moment in [from, to]. */
  minHeld(from: number, to: number): number;
}

function channelKey(consumer: string, queue: string): string {
  return `${consumer}\u0000${queue}`;
}

/** Every delivery as a hold interval per (consumer, queue), with the held-count step function. */
function buildHolds(deliveries: readonly TrackedDelivery[], handled: HandledIndex, autoAck: boolean): Map<string, ChannelHolds> {
  const grouped = new Map<string, Hold[]>();
  for (const d of deliveries) {
    const e = d.deliver;
    let to: number;
    let completed: boolean;
    if (d.settle) {
      to = d.settle.t;
      completed = true;
    } else {
      const h = autoAck ? handled.between(e.proc, e.queue, e.id, e.t) : undefined;
      completed = h !== undefined && h.t <= (d.abandonedAt ?? Infinity);
      to = completed ? h!.t : (d.abandonedAt ?? e.t);
    }
    const k = channelKey(e.proc, e.queue);
    const list = grouped.get(k);
    const hold = { from: e.t, to, completed };
    if (list) list.push(hold);
    else grouped.set(k, [hold]);
  }
  const out = new Map<string, ChannelHolds>();
  for (const [k, holds] of grouped) {
    const [consumer, queue] = k.split('\u0000') as [string, string];
    out.set(k, channelHolds(consumer, queue, holds));
  }
  return out;
}

function emptyChannel(consumer: string, queue: string): ChannelHolds {
  return channelHolds(consumer, queue, []);
}

function channelHolds(consumer: string, queue: string, holds: Hold[]): ChannelHolds {
  // The held-count step function: acquisitions and releases each sorted as plain numbers, then merged,
  // releases before acquisitions at the same instant (an ack then the delivery it made room for).
  const froms = Float64Array.from(holds, (h) => h.from).sort();
  const tos = Float64Array.from(holds, (h) => h.to).sort();
  const times: number[] = [];
  const values: number[] = [];
  let held = 0;
  let max = 0;
  for (let i = 0, j = 0; i < froms.length || j < tos.length;) {
    const release = j < tos.length && (i >= froms.length || tos[j]! <= froms[i]!);
    held += release ? -1 : 1;
    times.push(release ? tos[j++]! : froms[i++]!);
    values.push(held);
    if (held > max) max = held;
  }
  // Only the hoarding measure asks for range minima, and only for consumers that waited long: built on first use.
  let rangeMin: RangeMin | undefined;
  return {
    consumer,
    queue,
    holds,
    max,
    firstAbove(limit) {
      const i = values.findIndex((v) => v > limit);
      return i < 0 ? undefined : times[i];
    },
    minHeld(from, to) {
      // Value in effect at `from`: the last change at or before it (0 before the first change).
      const i = lastAtOrBefore(times, from);
      const j = lastAtOrBefore(times, to);
      const atStart = i < 0 ? 0 : values[i]!;
      rangeMin ??= new RangeMin(values);
      return j > i ? Math.min(atStart, rangeMin.min(i + 1, j)) : atStart;
    },
  };
}

/**
 * When a consumer was itself stuck: from the moment one of its deliveries had been held longer
 * than `limitMs` (service time + hoardWaitMs) until it was released. A stuck consumer (a fault
 * downstream, a dead connection) could not have taken anyone else's messages sooner.
 */
class Stalls {
  readonly #starts: number[] = [];
  /** Running maximum of interval ends, in start order. */
  readonly #maxEnd: number[] = [];

  constructor(holds: readonly Hold[], limitMs: number) {
    const intervals = holds
      .filter((h) => h.to - h.from > limitMs)
      .map((h) => [h.from + limitMs, h.to] as const)
      .sort((a, b) => a[0] - b[0]);
    let maxEnd = -Infinity;
    for (const [start, end] of intervals) {
      maxEnd = Math.max(maxEnd, end);
      this.#starts.push(start);
      this.#maxEnd.push(maxEnd);
    }
  }

  /** Some stall overlaps (from, to). */
  overlaps(from: number, to: number): boolean {
    const i = lastBefore(this.#starts, to);
    return i >= 0 && this.#maxEnd[i]! > from;
  }
}

/** Index of the last element < x in an ascending array, -1 if none. */
function lastBefore(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Index of the last element <= x in an ascending array, -1 if none. */
function lastAtOrBefore(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Sparse table: O(1) minimum over any index range of a fixed array. */
class RangeMin {
  readonly #levels: number[][];

  constructor(values: readonly number[]) {
    this.#levels = [[...values]];
    for (let w = 1; 2 * w <= values.length; w *= 2) {
      const prev = this.#levels[this.#levels.length - 1]!;
      this.#levels.push(prev.slice(0, prev.length - w).map((v, i) => Math.min(v, prev[i + w]!)));
    }
  }

  /** Minimum over indices [i, j], inclusive; i <= j. */
  min(i: number, j: number): number {
    const level = Math.floor(Math.log2(j - i + 1));
    const row = this.#levels[level]!;
    return Math.min(row[i]!, row[j - (1 << level) + 1]!);
  }
}

/**
 * Consumers per queue: whoever got deliveries there, plus configured instances of the role the
 * target declares consuming it (a starved one got none).
 */
function queueConsumers(run: RunRecord, holds: ReadonlyMap<string, ChannelHolds>): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  const add = (queue: string, consumer: string) => {
    let set = out.get(queue);
    if (!set) out.set(queue, (set = new Set()));
    set.add(consumer);
  };
  for (const ch of holds.values()) add(ch.queue, ch.consumer);
  for (const [role, instances] of configuredInstances(run)) {
    for (const queue of run.topology.queuesByRole?.[role] ?? []) if (out.has(queue)) for (const i of instances) add(queue, i);
  }
  return new Map(
    [...out]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([q, s]) => [q, [...s].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))]),
  );
}

/**
 * When each process had its consume connection: from a `connected` of `<instance> consume` to a
 * `disconnected` of it, a `stopping` or a `start`. A process whose history has no consume
 * `connected` at all counts as connected throughout. A process killed and
 * never restarted cannot be told from an idle one: it counts as present until the end.
 */
function presenceIntervals(events: readonly HistoryEvent[], endOfHistory: number): Map<string, [number, number][]> {
  // Every process of the history gets an entry (in order of first appearance); only its lifecycle events matter below.
  const index = historyIndex(events);
  const byProc = new Map<string, HistoryEvent[]>();
  for (const proc of index.processes()) byProc.set(proc, []);
  for (const e of index.ofKind('lifecycle')) byProc.get(e.proc)!.push(e);
  const out = new Map<string, [number, number][]>();
  for (const [proc, list] of byProc) {
    const consume = `${proc} consume`;
    const isConnect = (e: HistoryEvent) => e.kind === 'lifecycle' && e.event === 'connected' && (e.detail ?? '').startsWith(consume);
    // Without any consume-connection event we know nothing better than "there all along".
    if (!list.some(isConnect)) {
      out.set(proc, [[-Infinity, Infinity]]);
      continue;
    }
    const intervals: [number, number][] = [];
    let since: number | undefined;
    for (const e of list) {
      if (isConnect(e)) since ??= e.t;
      else if (
        e.kind === 'lifecycle' &&
        (e.event === 'stopping' || e.event === 'start' || (e.event === 'disconnected' && (e.detail ?? '').startsWith(consume)))
      ) {
        if (since !== undefined) intervals.push([since, e.t]);
        since = undefined;
      }
    }
    if (since !== undefined) intervals.push([since, endOfHistory]);
    out.set(proc, intervals);
  }
  return out;
}

/** Fraction of [start, end] covered by the intervals (1 for an instant window the consumer was present in). */
function presenceIn(intervals: readonly [number, number][] | undefined, start: number, end: number): number {
  if (!intervals || intervals.length === 0 || !Number.isFinite(start)) return 0;
  if (end <= start) return intervals.some(([a, b]) => a <= start && start <= b) ? 1 : 0;
  let covered = 0;
  for (const [a, b] of intervals) covered += Math.max(0, Math.min(b, end) - Math.max(a, start));
  return Math.min(1, covered / (end - start));
}

function serviceTime(
  run: RunRecord,
  options: PrefetchFairnessOptions,
  ch: ChannelHolds,
): { serviceMs: number; serviceSource: ConsumerShare['serviceSource'] } {
  const fromOption = options.processingMsByConsumer?.[ch.consumer];
  if (fromOption !== undefined) return { serviceMs: fromOption, serviceSource: 'option' };
  const configured = configuredProcessingMs(run, ch.consumer);
  if (configured !== undefined) return { serviceMs: configured, serviceSource: 'configured' };
  const fastest = ch.holds.reduce((m, h) => (h.completed ? Math.min(m, h.to - h.from) : m), Infinity);
  return { serviceMs: Number.isFinite(fastest) ? fastest : 0, serviceSource: 'fastest-observed' };
}

/** Jain's fairness index; 1 for an empty or all-zero list (nothing to be unfair about). */
export function jainIndex(xs: readonly number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? 1 : (sum * sum) / (xs.length * squares);
}

function checkBrokerSamples(
  run: RunRecord,
  prefetch: number,
  violations: ViolationList<PrefetchViolationKind, Record<string, unknown>>,
): { samplesChecked: number; maxUnackedByConnection: Record<string, number> } {
  const raw = run.broker?.channelSamples;
  const maxUnackedByConnection: Record<string, number> = {};
  if (raw === undefined) return { samplesChecked: 0, maxUnackedByConnection };
  const samples = parseChannelSamples(raw);
  let samplesChecked = 0;
  for (const s of samples) {
    // Publishing and topology channels have no consumers and prefetch 0: not ours to judge.
    if (s.consumerCount === 0) continue;
    samplesChecked++;
    maxUnackedByConnection[s.connectionName] = Math.max(maxUnackedByConnection[s.connectionName] ?? 0, s.unacked);
    if (s.prefetchCount > 0 && s.unacked > s.prefetchCount) violations.add('broker-over-prefetch', { ...s });
    if (s.prefetchCount !== prefetch) violations.add('broker-prefetch-mismatch', { ...s, configuredPrefetch: prefetch });
  }
  return { samplesChecked, maxUnackedByConnection };
}

export function parseChannelSamples(raw: unknown): ChannelSample[] {
  if (!Array.isArray(raw)) throw new BrokerSamplesShapeError(`got ${raw === null ? 'null' : typeof raw}`);
  return raw.map((s: unknown, i) => {
    const o = (typeof s === 'object' && s !== null ? s : {}) as Record<string, unknown>;
    for (const field of ['t', 'consumerCount', 'prefetchCount', 'unacked'] as const) {
      if (typeof o[field] !== 'number') throw new BrokerSamplesShapeError(`sample ${i} has ${field} = ${JSON.stringify(o[field])}`);
    }
    if (typeof o.connectionName !== 'string')
      throw new BrokerSamplesShapeError(`sample ${i} has connectionName = ${JSON.stringify(o.connectionName)}`);
    return {
      t: o.t as number,
      connectionName: o.connectionName,
      consumerCount: o.consumerCount as number,
      prefetchCount: o.prefetchCount as number,
      unacked: o.unacked as number,
    };
  });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function roundOrDash(x: number): number | string {
  return Number.isFinite(x) ? Math.round(x) : '-';
}
