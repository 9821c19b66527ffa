import { describe, expect, it } from 'vitest';
import { StartedHarnessMetrics } from '../../../harness/metrics/harness-metrics.ts';

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('StartedHarnessMetrics', () => {
  it('serves /metrics on 127.0.0.1 and stops listening when disposed', async () => {
    let url: string;
    {
      await using metrics = await StartedHarnessMetrics.start();
      url = metrics.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(metrics.target).toBe(url.slice('http://'.length, -'/metrics'.length));
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('harness_load_requests_sent_total 0');
      expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
    }
    await expect(fetch(url)).rejects.toThrow();
  });

  it('turns the generator totals into counters that only go up', async () => {
    await using metrics = await StartedHarnessMetrics.start();
    metrics.setTargetRate(50);
    metrics.updateLoad({ sent: 10, ok: 7, failed: 1, dropped: 2, currentRate: 49.5 });
    metrics.updateLoad({ sent: 25, ok: 20, failed: 2, dropped: 2, currentRate: 50 });
    // A stale snapshot (lower totals) never moves a counter backwards.
    metrics.updateLoad({ sent: 24, ok: 19, failed: 2, dropped: 2, currentRate: 50 });
    const text = await (await fetch(metrics.url)).text();
    expect(sample(text, 'harness_load_target_requests_per_second')).toBe(50);
    expect(sample(text, 'harness_load_achieved_requests_per_second')).toBe(50);
    expect(sample(text, 'harness_load_requests_sent_total')).toBe(25);
    expect(sample(text, 'harness_load_requests_completed_total{outcome="ok"}')).toBe(20);
    expect(sample(text, 'harness_load_requests_completed_total{outcome="failed"}')).toBe(2);
    expect(sample(text, 'harness_load_requests_dropped_total')).toBe(2);
    // Gauges follow the latest snapshot.
    expect(sample(text, 'harness_load_requests_in_flight')).toBe(3);
  });

  it('reads a tracked generator at scrape time', async () => {
    await using metrics = await StartedHarnessMetrics.start();
    let sent = 0;
    metrics.trackLoad(() => ({ sent, ok: sent, failed: 0, dropped: 0, currentRate: 5, inFlight: 0 }));
    sent = 3;
    expect(sample(await (await fetch(metrics.url)).text(), 'harness_load_requests_sent_total')).toBe(3);
    sent = 8;
    expect(sample(await metrics.metrics(), 'harness_load_requests_sent_total')).toBe(8);
  });

  it('shows faults while active and the checks as 1, 0 or -1', async () => {
    await using metrics = await StartedHarnessMetrics.start();
    metrics.setRunInfo('broker-restart');
    metrics.declareFaults(['broker-restart', 'latency']);
    metrics.setFaultActive('broker-restart', true);
    let text = await metrics.metrics();
    expect(sample(text, 'harness_fault_active{fault="broker-restart"}')).toBe(1);
    expect(sample(text, 'harness_fault_active{fault="latency"}')).toBe(0);
    expect(sample(text, 'harness_run_info{scenario="broker-restart"}')).toBe(1);
    metrics.setFaultActive('broker-restart', false);
    metrics.setCheckResults({ 'zero-loss': { valid: true }, ordering: { valid: false }, drain: { valid: 'unknown' } });
    text = await metrics.metrics();
    expect(sample(text, 'harness_fault_active{fault="broker-restart"}')).toBe(0);
    expect(sample(text, 'harness_check_valid{check="zero-loss"}')).toBe(1);
    expect(sample(text, 'harness_check_valid{check="ordering"}')).toBe(0);
    expect(sample(text, 'harness_check_valid{check="drain"}')).toBe(-1);
  });

  it('syncs the active faults from a list, clearing the ones no longer in it', async () => {
    await using metrics = await StartedHarnessMetrics.start();
    metrics.declareFaults(['a']);
    metrics.syncFaults(['a', 'b']);
    let text = await metrics.metrics();
    expect([sample(text, 'harness_fault_active{fault="a"}'), sample(text, 'harness_fault_active{fault="b"}')]).toEqual([1, 1]);
    metrics.syncFaults(['b']);
    text = await metrics.metrics();
    expect([sample(text, 'harness_fault_active{fault="a"}'), sample(text, 'harness_fault_active{fault="b"}')]).toEqual([0, 1]);
    metrics.syncFaults([]);
    text = await metrics.metrics();
    expect([sample(text, 'harness_fault_active{fault="a"}'), sample(text, 'harness_fault_active{fault="b"}')]).toEqual([0, 0]);
  });
});
