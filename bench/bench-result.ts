import type { DrainResult } from '../harness/runner/drain.ts';
import { publishRatio, type BrokerRates, type MessageCounts } from './broker-rates.ts';
import type { CpuFigures } from './cpu-usage.ts';
import type { QueueLatency } from './deliver-latency.ts';
import type { LimitingStage } from './limiting-stage.ts';
import type { QueueLoad } from './queue-sampler.ts';
import type { StopReason } from './rate-search.ts';
import type { StepFigures, StepVerdict } from './step-verdict.ts';

export type BaselineRoute = 'direct' | 'proxy';

export interface BaselineResult {
  route: BaselineRoute;
  queue: string;
  seconds: number;
  confirmed: number;
  nacked: number;
  ratePerSecond: number;
  window: number;
  bodyBytes: number;
  interrupted: boolean;
}

export interface StepRecord {
  /** 0 for the warm-up. */
  index: number;
  rate: number;
  phase: 'warmup' | 'ramp' | 'bisect';
  /** Cut short by SIGINT/SIGTERM: its verdict says nothing about the system. */
  interrupted: boolean;
  seed: number;
  clientHistory: string;
  /** Wall-clock seconds of the whole step: settling, load, drain. */
  seconds: number;
  /** Waiting for the broker's queues to empty before the load, only after a step that did not drain (leftover -1: could not ask). */
  settle: { seconds: number; leftover: number };
  figures: StepFigures;
  verdict: StepVerdict;
  drain: DrainResult;
  counts: MessageCounts;
  windowSeconds: number;
  rates: BrokerRates;
  /** CPU by process kind from the load's start to the drain's end (the bench's own process counted as `harness`). */
  cpu: CpuFigures;
  /** Per queue during the load; null when the management API could not be read. */
  queues: QueueLoad[] | null;
  /** Publish to first delivery, per queue, for this step's messages. */
  latency: QueueLatency[];
  /** What held this step back (or did not). */
  limit: LimitingStage;
}

export interface BenchSummary {
  stopReason: StopReason | 'interrupted' | 'error';
  /** Target rate of the best passing step (the highest pass below every failure). */
  sustainedOrdersPerSecond: number | null;
  /** What the client actually sent in that step. */
  achievedOrdersPerSecond: number | null;
  bestStep: number | null;
  publishesPerOrder: number | null;
  deliveriesPerOrder: number | null;
  brokerPublishesPerSecond: number | null;
  brokerDeliveriesPerSecond: number | null;
  rawDirectPerSecond: number | null;
  rawProxyPerSecond: number | null;
  /** Order-system broker publishes/s ÷ raw direct publishes/s. */
  ratio: number | null;
  /** The same against the raw run through the proxy (the system's publishes go through it too). */
  ratioVsProxy: number | null;
  /**
   * What limits the sustained rate: read from the lowest failing step (where the limit bit), else
   * from the best passing one; `fromStep` says which.
   */
  limitingStage: (LimitingStage & { fromStep: number }) | null;
  /** CPU per order by kind at the sustained rate (the best passing step). */
  cpuAtSustained: CpuFigures | null;
}

export function summarize(
  steps: readonly StepRecord[],
  sustained: number | null,
  baselines: readonly BaselineResult[],
  stopReason: BenchSummary['stopReason'],
): BenchSummary {
  const best = sustained === null ? undefined : steps.filter((s) => s.rate === sustained && s.verdict.passed).at(-1);
  const raw = (route: BaselineRoute) => baselines.find((b) => b.route === route && b.confirmed > 0)?.ratePerSecond ?? null;
  const direct = raw('direct');
  const proxy = raw('proxy');
  const publishes = best?.rates.publishesPerSecond ?? null;
  const judged = steps.filter((s) => !s.interrupted);
  const fails = judged.filter((s) => !s.verdict.passed && (best === undefined || s.rate > best.rate)).sort((a, b) => a.rate - b.rate);
  const limitStep = fails[0] ?? best;
  return {
    stopReason,
    sustainedOrdersPerSecond: best ? best.rate : null,
    achievedOrdersPerSecond: best ? best.figures.achieved : null,
    bestStep: best ? best.index : null,
    publishesPerOrder: best?.rates.publishesPerOrder ?? null,
    deliveriesPerOrder: best?.rates.deliveriesPerOrder ?? null,
    brokerPublishesPerSecond: publishes,
    brokerDeliveriesPerSecond: best?.rates.deliveriesPerSecond ?? null,
    rawDirectPerSecond: direct,
    rawProxyPerSecond: proxy,
    ratio: publishes === null ? null : publishRatio(publishes, direct),
    ratioVsProxy: publishes === null ? null : publishRatio(publishes, proxy),
    limitingStage: limitStep ? { ...limitStep.limit, fromStep: limitStep.index } : null,
    cpuAtSustained: best?.cpu ?? null,
  };
}
