import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectReport } from '../support/report-browser.ts';
import { runCheckCli, runScenarioCli } from '../support/scenario-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

// Both sides of each broker scenario, with default settings: the reference system survives
// with nothing lost (exit 0), and the flaw each scenario claims to catch is caught (exit 1, lost orders named).
const runs = tempDir('scenario-runs');
afterAll(() => runs.remove());
const RUN_TIMEOUT_MS = 240_000;

interface ZeroLoss {
  valid: boolean | 'unknown';
  lostOrderIds: string[];
  orders: { accepted: number; lostCount: number };
}

describe('broker-restart', () => {
  it('the reference system loses nothing', async () => {
    const run = await runScenarioCli(['broker-restart'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const zeroLoss = run.results!.checks['zero-loss'] as unknown as ZeroLoss;
    expect(zeroLoss.valid).toBe(true);
    expect(zeroLoss.orders.accepted).toBeGreaterThan(1000);
    expect(run.results!.faults.map((f) => f.name)).toEqual(['broker-restart']);
    // Recovery happened under load: orders kept coming for 8 s and more after the broker was back.
    expect(run.results!.loadAfterHealSeconds).toBeGreaterThanOrEqual(7.5);
    const recovery = run.results!.checks['recovery'] as unknown as {
      valid: boolean;
      recoveries: { fault: string; unavailableSeconds: number; backToFullRateSeconds?: number }[];
    };
    expect(recovery.valid).toBe(true);
    expect(recovery.recoveries[0]).toMatchObject({
      fault: 'broker-restart',
      unavailableSeconds: expect.any(Number),
      backToFullRateSeconds: expect.any(Number),
    });
    expect(recovery.recoveries[0]!.unavailableSeconds).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/^recovery +VALID/m);
    // The broker password is in endpoints.json for the person at the keyboard (0600), never in results.json.
    const endpointsFile = join(run.results!.runDir, 'endpoints.json');
    const password = decodeURIComponent(new URL((JSON.parse(readFileSync(endpointsFile, 'utf8')) as { amqpUrl: string }).amqpUrl).password);
    expect(password.length).toBeGreaterThan(8);
    expect(statSync(endpointsFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(run.results!.runDir, 'results.json'), 'utf8')).not.toContain(password);
  });

  it('catches the transient flaw: non-durable queues forget orders on restart', async () => {
    const run = await runScenarioCli(['broker-restart', '--flaw', 'transient'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const zeroLoss = run.results!.checks['zero-loss'] as unknown as ZeroLoss;
    expect(zeroLoss.valid).toBe(false);
    expect(zeroLoss.orders.lostCount).toBeGreaterThan(0);
    expect(zeroLoss.lostOrderIds.length).toBeGreaterThan(0);
  });
});

describe('broker-kill', () => {
  it('the reference system loses nothing', async () => {
    const run = await runScenarioCli(['broker-kill'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect((run.results!.checks['zero-loss'] as unknown as ZeroLoss).valid).toBe(true);
    // The client retried what the crash left in doubt, and no order ended half done.
    expect(run.results!.load!.retries.needed).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/client retries: \d+ orders needed a retry/);
    expect(run.results!.checks['effects']).toMatchObject({ valid: true, partialOrders: 0 });

    // report.html, opened in a real browser: every chart drawn with data, the kill window shaded in the rate chart.
    const runDir = run.results!.runDir;
    expect(run.stdout + run.stderr).toMatch(/report: .*report\.html \(\d+ KiB in [\d.]+ s\)/);
    const screenshot = join(runDir, 'report.png');
    const charts = await inspectReport(join(runDir, 'report.html'), screenshot);
    expect(charts.map((c) => c.id)).toEqual(['rate', 'answers', 'latency', 'queueDepth', 'unacked', 'consumers', 'confirms']);
    for (const chart of charts) {
      expect(chart.seriesLines, `${chart.id}: series lines drawn`).toBeGreaterThan(0);
      expect(chart.width, `${chart.id}: width`).toBeGreaterThan(600);
    }
    const rate = charts.find((c) => c.id === 'rate')!;
    expect(rate.faultWindowWidths).toHaveLength(1);
    expect(rate.faultWindowWidths[0]).toBeGreaterThan(20);
    expect(statSync(screenshot).size).toBeGreaterThan(20_000);
  });

  it('catches the no-confirms flaw: results.json lists the lost orders', async () => {
    const run = await runScenarioCli(['broker-kill', '--flaw', 'no-confirms'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const zeroLoss = run.results!.checks['zero-loss'] as unknown as ZeroLoss;
    expect(zeroLoss.valid).toBe(false);
    expect(zeroLoss.lostOrderIds.length).toBeGreaterThan(0);
    expect(zeroLoss.lostOrderIds[0]).toMatch(/^order-1-\d+$/);
    expect(run.stdout).toMatch(/verdict: INVALID \(exit 1\)/);
    // The report links each lost order to its story.
    const report = readFileSync(join(run.results!.runDir, 'report.html'), 'utf8');
    expect(report).toContain(`<a href="#order-${zeroLoss.lostOrderIds[0]}">${zeroLoss.lostOrderIds[0]}</a>`);
    expect(report).toContain(`<h3 id="order-${zeroLoss.lostOrderIds[0]}">`);
    // The stored run can be judged again, with the same verdict.
    const again = await runCheckCli(run.results!.runDir);
    expect(again.code).toBe(1);
    expect(again.stdout).toMatch(/zero-loss +INVALID/);
  });
});
