import { describe, expect, it } from 'vitest';
import { renderStepTable, renderSummary } from '../../../bench/bench-report.ts';
import { summarize, type BaselineResult, type StepRecord } from '../../../bench/bench-result.ts';
import { brokerRates } from '../../../bench/broker-rates.ts';
import { cpuFigures } from '../../../bench/cpu-usage.ts';
import { judgeStep, type StepFigures } from '../../../bench/step-verdict.ts';

function step(index: number, rate: number, change: Partial<StepFigures> = {}, deliveries = 7 * rate * 10): StepRecord {
  const figures: StepFigures = {
    target: rate,
    achieved: rate,
    sent: rate * 10,
    failed: 0,
    dropped: 0,
    p50Ms: 10.04,
    p99Ms: 90.26,
    accepted: rate * 10,
    backlogOrders: rate / 10,
    lostOrders: 0,
    lostMessages: 0,
    unexpectedMessages: 0,
    ...change,
  };
  const counts = { publishAttempts: 6 * figures.accepted, confirmedPublishes: 6 * figures.accepted, deliveries };
  return {
    index,
    rate,
    phase: 'ramp',
    interrupted: false,
    seed: index,
    clientHistory: `history/client-step-${index}.jsonl`,
    seconds: 14,
    settle: { seconds: 0, leftover: 0 },
    figures,
    verdict: judgeStep(figures, { p99BoundMs: 500, maxBacklogSeconds: 1 }),
    drain: { drained: true, stalled: false, seconds: 1.5, pending: { orders: 0, messages: 0 } },
    counts,
    windowSeconds: 10,
    rates: brokerRates(counts, figures.accepted, 10),
    cpu: cpuFigures(
      new Map([
        ['payments', { processes: 2, ms: 3 * figures.accepted }],
        ['harness', { processes: 1, ms: 0.5 * figures.accepted }],
      ]),
      10_000,
      figures.accepted,
      2,
    ),
    queues: null,
    latency: [],
    limit: { stage: 'none', summary: 'no stage saturates: machine at 50% of 2 cores' },
  };
}

const baseline = (route: 'direct' | 'proxy', ratePerSecond: number): BaselineResult => ({
  route,
  queue: `bench.raw.${route}.x`,
  seconds: 10,
  confirmed: ratePerSecond * 10,
  nacked: 0,
  ratePerSecond,
  window: 500,
  bodyBytes: 258,
  interrupted: false,
});
const STEPS = [
  step(1, 100),
  step(2, 200, {}, 14_210),
  step(3, 400, { achieved: 350.5, dropped: 500, p99Ms: 2_400, backlogOrders: 1_000, lostOrders: 2 }),
];
const BASELINES = [baseline('direct', 16_000), baseline('proxy', 12_000)];

describe('summarize', () => {
  it('takes the best passing step and relates its broker publishes to the raw baseline', () => {
    expect(summarize(STEPS, 200, BASELINES, 'step-limit')).toEqual({
      stopReason: 'step-limit',
      sustainedOrdersPerSecond: 200,
      achievedOrdersPerSecond: 200,
      bestStep: 2,
      publishesPerOrder: 6,
      deliveriesPerOrder: 7.105,
      brokerPublishesPerSecond: 1_200,
      brokerDeliveriesPerSecond: 1_421,
      rawDirectPerSecond: 16_000,
      rawProxyPerSecond: 12_000,
      ratio: 0.075,
      ratioVsProxy: 0.1,
      limitingStage: { stage: 'none', summary: 'no stage saturates: machine at 50% of 2 cores', fromStep: 3 },
      cpuAtSustained: STEPS[1]!.cpu,
    });
  });

  it('has no ratio without a passing step or a baseline', () => {
    expect(summarize(STEPS, null, BASELINES, 'nothing-passed')).toMatchObject({
      sustainedOrdersPerSecond: null,
      brokerPublishesPerSecond: null,
      ratio: null,
      rawDirectPerSecond: 16_000,
    });
    expect(summarize(STEPS, 200, [], 'converged')).toMatchObject({ ratio: null, ratioVsProxy: null, brokerPublishesPerSecond: 1_200 });
  });
});

describe('renderStepTable', () => {
  it('prints one aligned row per step with its verdict and reasons', () => {
    const lines = renderStepTable(STEPS).split('\n');
    expect(lines[0]).toMatch(
      /^step\s+target\/s\s+achieved\/s\s+dropped\s+failed\s+p50 ms\s+p99 ms\s+accepted\s+backlog s\s+drain s\s+lost\s+cpu ms\/order\s+machine cpu\s+limit\s+result\s+why$/,
    );
    expect(lines[2]).toMatch(/^\s+2\s+200\s+200\s+0\s+0\s+10\s+90\.3\s+2000\s+0\.1\s+1\.5\s+0\s+3\.5\s+-\s+none\s+PASS\s+-$/);
    expect(lines[3]).toMatch(
      new RegExp(
        String.raw`^\s+3\s+400\s+350\.5\s+500\s+0\s+10\s+2400\s+4000\s+2\.5\s+1\.5\s+2\s+3\.5\s+-\s+none\s+FAIL\s+` +
          String.raw`achieved 350\.5\/s < 99% of 400\/s \(500 dropped\); ` +
          String.raw`pipeline fell behind: 1000 orders \(2\.5 s of load\) unfinished when the load ended > 1 s; ` +
          String.raw`2 accepted orders not terminal after the drain; p99 2400 ms > 500 ms$`,
      ),
    );
  });

  it('marks a step cut short by a signal as interrupted, not failed', () => {
    const cut = { ...step(4, 300, { lostOrders: 9 }), interrupted: true };
    expect(renderStepTable([cut]).split('\n')[1]).toMatch(/\sINTERRUPTED\s/);
  });
});

describe('renderSummary', () => {
  it('states the sustained rate, the counted broker traffic, both baselines and the ratios', () => {
    const text = renderSummary(summarize(STEPS, 200, BASELINES, 'converged'), BASELINES);
    expect(text).toContain('sustained order rate:     200 orders/s (step 2, achieved 200.0/s; search stopped: converged)');
    expect(text).toContain('broker publishes:       1200 msg/s confirmed (6.00 per order');
    expect(text).toContain('broker deliveries:      1421 msg/s (7.11 per order');
    expect(text).toMatch(
      /raw baseline \(direct\):\s+16000 msg\/s \(direct to the broker, no proxy; persistent 258-byte bodies, confirms, window 500/,
    );
    expect(text).toMatch(/raw baseline \(proxy\):\s+12000 msg\/s \(through the producer proxy/);
    expect(text).toContain(
      'ratio:                    0.075 (7.5%) = order-system broker publishes/s ÷ raw direct publishes/s (1200 / 16000)',
    );
    expect(text).toContain('ratio vs proxy baseline:  0.100 (10.0%)');
    expect(text).toContain('limiting stage:           no stage saturates: machine at 50% of 2 cores (step 3)');
    expect(text).toContain('cpu per order:            3.50 ms at the sustained rate; harness share 14.3% of the sampled CPU (goal <= 5%)');
    expect(text).toMatch(/^\s+payments\s+2\s+3\s+0\.6\s+85\.7%$/m);
    expect(text).toMatch(/^\s+total\s+3\s+3\.5\s+0\.7\s+100%$/m);
  });

  it('says plainly when nothing passed', () => {
    const text = renderSummary(summarize([STEPS[2]!], null, [], 'nothing-passed'), []);
    expect(text).toContain('sustained order rate:     none (no step passed; search stopped: nothing-passed)');
    expect(text).toContain('ratio:                    - (needs a passing step and a direct baseline)');
  });
});
