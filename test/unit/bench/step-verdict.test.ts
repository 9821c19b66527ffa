import { describe, expect, it } from 'vitest';
import { backlogSeconds, judgeStep, stepFigures, type StepFigures } from '../../../bench/step-verdict.ts';
import type { OrderAccount, StageAccount } from '../../../harness/checkers/delivery-ledger.ts';
import type { OpenModelSummary } from '../../../load/open-model-generator.ts';

const GOOD: StepFigures = {
  target: 200,
  achieved: 199.4,
  sent: 2_991,
  failed: 0,
  dropped: 0,
  p50Ms: 12,
  p99Ms: 180,
  accepted: 2_991,
  backlogOrders: 60,
  lostOrders: 0,
  lostMessages: 0,
  unexpectedMessages: 0,
};
const CRITERIA = { p99BoundMs: 500, maxBacklogSeconds: 1 };

describe('judgeStep', () => {
  it('passes a step that sent 99% of its target, lost nothing and kept p99 under the bound', () => {
    expect(judgeStep(GOOD, CRITERIA)).toEqual({ passed: true, reasons: [] });
    expect(judgeStep({ ...GOOD, achieved: 198, p99Ms: 500, backlogOrders: 200 }, CRITERIA).passed).toBe(true);
  });

  it.each<[Partial<StepFigures>, RegExp]>([
    [{ achieved: 197.9, dropped: 31 }, /achieved 197.9\/s < 99% of 200\/s \(31 dropped\)/],
    [{ failed: 4 }, /4 of 2991 requests not accepted/],
    [{ backlogOrders: 201 }, /pipeline fell behind: 201 orders \(1\.0 s of load\) unfinished when the load ended > 1 s/],
    [{ backlogOrders: 2_400 }, /pipeline fell behind: 2400 orders \(12\.0 s of load\)/],
    [{ lostOrders: 2 }, /2 accepted orders not terminal after the drain/],
    [{ lostMessages: 5 }, /5 confirmed messages never consumed/],
    [{ unexpectedMessages: 1 }, /1 messages consumed but never published/],
    [{ p99Ms: 500.4 }, /p99 500 ms > 500 ms/],
    [{ p99Ms: null }, /no latency recorded/],
    [{ accepted: 0 }, /no order accepted/],
  ])('fails on %j', (change, reason) => {
    const verdict = judgeStep({ ...GOOD, ...change }, CRITERIA);
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons.join('; ')).toMatch(reason);
  });

  it('lists every reason, not just the first', () => {
    expect(judgeStep({ ...GOOD, achieved: 150, lostOrders: 1, p99Ms: 2_000 }, CRITERIA).reasons).toHaveLength(3);
  });

  it('takes the achieved fraction from the criteria when given', () => {
    expect(judgeStep({ ...GOOD, achieved: 190 }, { ...CRITERIA, minAchievedFraction: 0.95 }).passed).toBe(true);
  });
});

describe('stepFigures', () => {
  it('takes the client summary and the ledger totals, summing losses over every stage', () => {
    const summary = {
      achievedRate: 99.5,
      sent: 1_493,
      failed: 1,
      dropped: 7,
      latencyMs: { count: 1_493, p50: 9, p90: 40, p99: 120, max: 300 },
    } as OpenModelSummary;
    const orders = { accepted: 1_492, lostCount: 3 } as OrderAccount;
    const stages = [
      { queue: 'order.created', lostCount: 2, unexpectedCount: 0 },
      { queue: 'payment.process', lostCount: 1, unexpectedCount: 4 },
    ] as StageAccount[];
    expect(stepFigures(100, summary, 42, orders, stages)).toEqual({
      target: 100,
      achieved: 99.5,
      sent: 1_493,
      failed: 1,
      dropped: 7,
      p50Ms: 9,
      p99Ms: 120,
      accepted: 1_492,
      backlogOrders: 42,
      lostOrders: 3,
      lostMessages: 3,
      unexpectedMessages: 4,
    });
  });
});

describe('backlogSeconds', () => {
  it('expresses the unfinished orders as seconds of arrivals at the target rate', () => {
    expect(backlogSeconds({ backlogOrders: 600, target: 400 })).toBe(1.5);
    expect(backlogSeconds({ backlogOrders: 5, target: 0 })).toBe(0);
  });
});
