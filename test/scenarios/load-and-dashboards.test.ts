import { afterAll, describe, expect, it } from 'vitest';
import { runScenarioCli } from '../support/scenario-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

const runs = tempDir('load-runs');
afterAll(() => runs.remove());

describe('a scenario at 500 orders/s with the dashboards checked', () => {
  it('achieves at least 99% of the target rate, reports drops, loses nothing, and every Grafana query returns data', async () => {
    const run = await runScenarioCli(['broker-kill', '--rate', '500', '--check-dashboards'], runs.path, 300_000);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const load = run.results!.load!;
    expect(load.targetRate).toBe(500);
    expect(load.achievedRate).toBeGreaterThanOrEqual(495);
    expect(load.dropped).toBeTypeOf('number');
    expect(run.stdout).toMatch(/load: target 500\.0\/s, achieved \d+\.\d\/s, .*dropped \d+/);
    const dashboards = run.results!.checks['dashboards']!;
    expect(dashboards.valid, dashboards.summary).toBe(true);
    expect(dashboards.queries).toBeGreaterThan(40);
  });
});
