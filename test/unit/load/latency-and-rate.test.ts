import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../load/latency-histogram.ts';
import { RateWindow } from '../../../load/rate-window.ts';
import type { OpenModelSummary } from '../../../load/open-model-generator.ts';
import { evaluateThresholds } from '../../../load/thresholds.ts';

describe('LatencyHistogram', () => {
  it('nearest-rank percentiles within 1% above the true value, exact max', () => {
    const h = new LatencyHistogram();
    for (let v = 1; v <= 1000; v++) h.record(v);
    const s = h.summary();
    expect(s.count).toBe(1000);
    for (const [got, truth] of [
      [s.p50, 500],
      [s.p90, 900],
      [s.p99, 990],
    ] as const) {
      expect(got!).toBeGreaterThanOrEqual(truth);
      expect(got!).toBeLessThanOrEqual(truth * 1.01);
    }
    expect(s.max).toBe(1000);
  });

  it('a single value is every percentile', () => {
    const h = new LatencyHistogram();
    h.record(42.5);
    expect(h.summary()).toEqual({ count: 1, p50: 42.5, p90: 42.5, p99: 42.5, max: 42.5 });
  });

  it('empty gives nulls; tiny and huge values fit', () => {
    expect(new LatencyHistogram().summary()).toEqual({ count: 0, p50: null, p90: null, p99: null, max: null });
    const h = new LatencyHistogram();
    h.record(0);
    h.record(3_600_000);
    expect(h.percentile(50)).toBeLessThanOrEqual(0.01); // below 10 µs everything shares one bucket
    expect(h.percentile(100)).toBe(3_600_000);
  });

  it('p99 sees a 1% tail', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 990; i++) h.record(5);
    for (let i = 0; i < 10; i++) h.record(300);
    expect(h.percentile(99)).toBeLessThanOrEqual(5.05);
    for (let i = 0; i < 1; i++) h.record(300);
    expect(h.percentile(99)).toBeGreaterThanOrEqual(300);
  });
});

describe('RateWindow', () => {
  it('reports events per second over the last second', () => {
    const w = new RateWindow();
    for (let t = 0; t < 3000; t += 5) w.record(t); // 200/s
    expect(w.ratePerSecond(3000)).toBeGreaterThan(190);
    expect(w.ratePerSecond(3000)).toBeLessThan(222);
    expect(w.ratePerSecond(5000)).toBe(0); // nothing in the last second
  });

  it('uses the elapsed time right after the start', () => {
    const w = new RateWindow();
    for (let t = 0; t < 500; t += 10) w.record(t); // 100/s for 0.5 s
    expect(w.ratePerSecond(500)).toBeCloseTo(100, 0);
  });
});

describe('evaluateThresholds', () => {
  const summary = (over: Partial<OpenModelSummary>): OpenModelSummary => ({
    planned: 100,
    scheduled: 100,
    sent: 100,
    dropped: 0,
    droppedNoFreeSlot: 0,
    droppedLate: 0,
    ok: 100,
    failed: 0,
    abandoned: 0,
    targetRate: 10,
    achievedRate: 10,
    latencyMs: { count: 100, p50: 5, p90: 8, p99: 20, max: 30 },
    serviceTimeMs: { count: 100, p50: 5, p90: 8, p99: 20, max: 30 },
    dispatchMs: 10_000,
    durationMs: 10_010,
    stoppedEarly: false,
    ...over,
  });
  const thresholds = { maxFailedRate: 0.01, maxDroppedIterations: 0, maxP99Ms: 20 };

  it('passes on the boundary (thresholds are inclusive, like k6 "<=")', () => {
    const verdict = evaluateThresholds(summary({ ok: 99, failed: 1 }), thresholds);
    expect(verdict.passed).toBe(true);
    expect(verdict.checks.map((c) => c.expected)).toEqual(['rate<=0.01', 'count<=0', 'p(99)<=20ms']);
  });

  it('fails each threshold separately', () => {
    expect(
      evaluateThresholds(summary({ ok: 98, failed: 2 }), thresholds)
        .checks.filter((c) => !c.ok)
        .map((c) => c.name),
    ).toEqual(['failed-rate']);
    expect(
      evaluateThresholds(summary({ dropped: 1 }), thresholds)
        .checks.filter((c) => !c.ok)
        .map((c) => c.name),
    ).toEqual(['dropped-iterations']);
    expect(
      evaluateThresholds(summary({ latencyMs: { count: 100, p50: 5, p90: 8, p99: 21, max: 30 } }), thresholds)
        .checks.filter((c) => !c.ok)
        .map((c) => c.name),
    ).toEqual(['p99-latency']);
  });

  it('nothing completed is a failure, not a pass', () => {
    const verdict = evaluateThresholds(
      summary({ sent: 0, ok: 0, failed: 0, latencyMs: { count: 0, p50: null, p90: null, p99: null, max: null } }),
      thresholds,
    );
    expect(verdict.passed).toBe(false);
  });
});
