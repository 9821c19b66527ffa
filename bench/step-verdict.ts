import type { OrderAccount, StageAccount } from '../harness/checkers/delivery-ledger.ts';
import type { OpenModelSummary } from '../load/open-model-generator.ts';

/** A step sustains its rate only if the client really sent (nearly) all of it. */
export const MIN_ACHIEVED_FRACTION = 0.99;

/** What one step's verdict rests on: the client's summary and that step's own ledger, after the drain. */
export interface StepFigures {
  target: number;
  achieved: number;
  sent: number;
  /** Requests answered with anything but 202 (refused, timed out, in doubt). */
  failed: number;
  dropped: number;
  p50Ms: number | null;
  p99Ms: number | null;
  accepted: number;
  /**
   * Accepted orders not yet terminal when the load ended. A pipeline that keeps up holds only its
   * end-to-end latency's worth; one that falls behind holds (rate - capacity) x step seconds.
   */
  backlogOrders: number;
  /** Accepted orders with no terminal state (or dead letter) after the drain. */
  lostOrders: number;
  /** Confirmed messages never consumed, summed over every pipeline stage. */
  lostMessages: number;
  /** Consumed messages nobody published (should never happen): counted so it cannot hide. */
  unexpectedMessages: number;
}

export interface StepCriteria {
  p99BoundMs: number;
  /** Backlog at the end of the load, in seconds of arrivals at the target rate, that still counts as keeping up. */
  maxBacklogSeconds: number;
  minAchievedFraction?: number;
}

export interface StepVerdict {
  passed: boolean;
  /** Every reason the step failed, in words a person can act on; empty when it passed. */
  reasons: string[];
}

export function stepFigures(
  target: number,
  summary: OpenModelSummary,
  backlogOrders: number,
  orders: OrderAccount,
  stages: readonly StageAccount[],
): StepFigures {
  return {
    target,
    achieved: summary.achievedRate,
    sent: summary.sent,
    failed: summary.failed,
    dropped: summary.dropped,
    p50Ms: summary.latencyMs.p50,
    p99Ms: summary.latencyMs.p99,
    accepted: orders.accepted,
    backlogOrders,
    lostOrders: orders.lostCount,
    lostMessages: stages.reduce((n, s) => n + s.lostCount, 0),
    unexpectedMessages: stages.reduce((n, s) => n + s.unexpectedCount, 0),
  };
}

export function judgeStep(f: StepFigures, criteria: StepCriteria): StepVerdict {
  const fraction = criteria.minAchievedFraction ?? MIN_ACHIEVED_FRACTION;
  const reasons: string[] = [];
  if (f.achieved < fraction * f.target)
    reasons.push(`achieved ${f.achieved.toFixed(1)}/s < ${Math.round(fraction * 100)}% of ${f.target}/s (${f.dropped} dropped)`);
  if (f.failed > 0) reasons.push(`${f.failed} of ${f.sent} requests not accepted`);
  if (f.accepted === 0) reasons.push('no order accepted');
  const backlog = backlogSeconds(f);
  if (backlog > criteria.maxBacklogSeconds)
    reasons.push(
      `pipeline fell behind: ${f.backlogOrders} orders (${backlog.toFixed(1)} s of load) ` +
        `unfinished when the load ended > ${criteria.maxBacklogSeconds} s`,
    );
  if (f.lostOrders > 0) reasons.push(`${f.lostOrders} accepted orders not terminal after the drain`);
  if (f.lostMessages > 0) reasons.push(`${f.lostMessages} confirmed messages never consumed`);
  if (f.unexpectedMessages > 0) reasons.push(`${f.unexpectedMessages} messages consumed but never published`);
  if (f.p99Ms === null) reasons.push('no latency recorded');
  else if (f.p99Ms > criteria.p99BoundMs) reasons.push(`p99 ${Math.round(f.p99Ms)} ms > ${criteria.p99BoundMs} ms`);
  return { passed: reasons.length === 0, reasons };
}

/** The end-of-load backlog in seconds of arrivals at the target rate. */
export function backlogSeconds(f: Pick<StepFigures, 'backlogOrders' | 'target'>): number {
  return f.target > 0 ? f.backlogOrders / f.target : 0;
}
