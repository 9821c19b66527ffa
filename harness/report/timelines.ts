import type { HistoryEvent, OrderRequestEvent } from '../../instrument/history-event.ts';
import type { BrokerSample } from '../runner/broker-sampler.ts';

/**
 * The report's timelines, pure: per-second series on one time axis (seconds since the load began)
 * from the run's histories and the broker samples. A missing value is null (a gap in the chart),
 * never a made-up zero: a broker that did not answer has no queue depth, not an empty queue.
 */

export interface Series {
  name: string;
  /** [seconds since the load began, value]; value null = no data for that point. */
  points: [number, number | null][];
}

export interface FaultSpan {
  name: string;
  /** Seconds since the load began: when it took effect, and when its heal completed (absent: never healed). */
  from: number;
  to?: number;
}

export interface Timelines {
  /** Last second on the axis (the axis runs 0..end for every chart). */
  end: number;
  rate: Series[];
  answers: Series[];
  latency: Series[];
  queueDepth: Series[];
  unacked: Series[];
  consumers: Series[];
  confirms: Series[];
}

export interface TimelineInput {
  events: readonly HistoryEvent[];
  samples: readonly BrokerSample[];
  /** Wall-clock ms of second 0. */
  t0: number;
  targetRate: number;
}

const PERCENTILES = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;

export function buildTimelines(input: TimelineInput): Timelines {
  const { events, samples, t0 } = input;
  const sec = (t: number) => (t - t0) / 1000;
  const bin = (t: number) => Math.max(0, Math.floor(sec(t)));
  const answers = events.filter((e): e is OrderRequestEvent => e.kind === 'order-request');
  const firstAttempts = answers.filter((e) => (e.attempt ?? 1) === 1);
  const sentAt = (e: OrderRequestEvent) => e.t - (e.latencyMs ?? 0);
  const dueAt = (e: OrderRequestEvent) => sentAt(e) - (e.lateMs ?? 0);
  const dropped = events.filter((e) => e.kind === 'order-dropped');

  const loadEnd = firstAttempts.reduce((max, e) => Math.max(max, bin(sentAt(e))), 0);
  const lastEvent = events.length ? bin(events[events.length - 1]!.t) : 0;
  const lastSample = samples.length ? bin(samples[samples.length - 1]!.t) : 0;
  const end = Math.max(loadEnd, lastEvent, lastSample) + 1;
  const seconds = Array.from({ length: end }, (_, i) => i);

  const counts = (list: readonly HistoryEvent[], at: (e: HistoryEvent) => number): number[] => {
    const out = new Array<number>(end).fill(0);
    for (const e of list) {
      const b = bin(at(e));
      if (b < end) out[b]!++;
    }
    return out;
  };
  const series = (name: string, values: readonly (number | null)[]): Series => ({
    name,
    points: seconds.map((s) => [s, values[s] ?? null]),
  });

  const rate = [
    series(
      'target /s',
      seconds.map((s) => (s <= loadEnd && firstAttempts.length ? input.targetRate : null)),
    ),
    series(
      'sent /s (first attempts, by send time)',
      counts(firstAttempts, (e) => sentAt(e as OrderRequestEvent)),
    ),
    series(
      'accepted /s (first attempts, by send time)',
      counts(
        firstAttempts.filter((e) => e.outcome === 'ok'),
        (e) => sentAt(e as OrderRequestEvent),
      ),
    ),
  ];

  const byAnswer = (outcome: OrderRequestEvent['outcome']) =>
    counts(
      answers.filter((e) => e.outcome === outcome),
      (e) => e.t,
    );
  const answerSeries = [
    series('ok', byAnswer('ok')),
    series('refused', byAnswer('fail')),
    series('in doubt', byAnswer('info')),
    series(
      'dropped (never sent)',
      counts(dropped, (e) => e.t),
    ),
  ];

  const latencyBins: number[][] = seconds.map(() => []);
  for (const e of firstAttempts) {
    const b = bin(dueAt(e));
    if (b < end) latencyBins[b]!.push((e.latencyMs ?? 0) + (e.lateMs ?? 0));
  }
  const latency = PERCENTILES.map(([name, q]) =>
    series(
      `${name} ms`,
      latencyBins.map((values) => percentile(values, q)),
    ),
  );

  // Broker samples: the last one read in each second stands for it.
  const sampleAt = new Array<BrokerSample | undefined>(end);
  for (const s of samples) {
    const b = bin(s.t);
    if (b < end) sampleAt[b] = s;
  }
  const queueNames = [...new Set(samples.flatMap((s) => (s.queues ?? []).map((q) => q.name)))].sort();
  const consumed = new Set(samples.flatMap((s) => (s.queues ?? []).filter((q) => q.consumers > 0).map((q) => q.name)));
  const perQueue = (field: 'ready' | 'unacked') =>
    queueNames
      .map((name) =>
        series(
          name,
          seconds.map((s) => {
            const sample = sampleAt[s];
            if (!sample?.reachable) return null;
            return sample.queues?.find((q) => q.name === name)?.[field] ?? null;
          }),
        ),
      )
      // A queue that never held anything and was never consumed from (an unused retry delay) only
      // clutters the legend; a work queue that stayed empty is shown: a flat zero is a finding too.
      .filter((q) => q.points.some(([, v]) => (v ?? 0) > 0) || consumed.has(q.name));
  const consumers = [
    series(
      'consumer connections',
      seconds.map((s) => {
        const sample = sampleAt[s];
        return sample?.reachable ? (sample.consumerConnections?.length ?? null) : null;
      }),
    ),
  ];

  const results = events.filter((e) => e.kind === 'publish-result');
  const confirms = (['ok', 'fail', 'info'] as const).map((outcome) =>
    series(
      outcome === 'ok' ? 'confirmed' : outcome === 'fail' ? 'nacked / returned / failed' : 'outcome unknown',
      counts(
        results.filter((e) => e.outcome === outcome),
        (e) => e.t,
      ),
    ),
  );

  return {
    end,
    rate,
    answers: answerSeries,
    latency,
    queueDepth: perQueue('ready'),
    unacked: perQueue('unacked'),
    consumers,
    confirms,
  };
}

/** Nearest-rank percentile; null for an empty bin (nothing was due that second). */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return Math.round(sorted[rank]! * 10) / 10;
}
