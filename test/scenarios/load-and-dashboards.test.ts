import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { dashboardFiles, extractQueries, readDashboard } from '../../harness/metrics/dashboard-queries.ts';
import { SCRAPE_JOBS } from '../../harness/metrics/run-targets.ts';
import { runScenarioCli } from '../support/scenario-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

const runs = tempDir('load-runs');
afterAll(() => runs.remove());

describe('a scenario at 500 orders/s with the dashboards checked', () => {
  it(
    "keeps the load check's share of the target rate, reports its drops, loses nothing, " + 'and every Grafana query returns data',
    async () => {
      // This test is about the generator's rate and the dashboards. 500/s is above what this 2-core machine
      // sustains (npm run bench: about 375 orders/s), so no client retries and no extra load after the heal
      // (both are exercised at 100/s by the broker scenarios): with them, the backlog a broker kill leaves
      // keeps the API slow and the load check rightly calls the run short of its target.
      const run = await runScenarioCli(
        // 20 s: the dashboards' rate() windows need a few scrapes either side of the kill.
        ['broker-kill', '--rate', '500', '--duration', '20', '--check-dashboards', '--client-retries', '0', '--after-heal', '0'],
        runs.path,
        300_000,
      );
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const load = run.results!.load!;
      expect(load.targetRate).toBe(500);
      // The generator's own precision (within 3% at 200/s, 8% at 1000/s) is tested against a fake server in
      // test/unit/load/latency-and-rate.test.ts. Here the system under a broker kill pushes back (the API holds requests
      // up to its 5 s confirm timeout), so the claim is the load check's: at least 90% of the target, drops counted.
      expect(load.achievedRate).toBeGreaterThanOrEqual(450);
      expect(load.dropped).toBeLessThanOrEqual(Math.max(10, 0.02 * load.scheduled));
      expect(run.results!.checks['load']!.valid).toBe(true);
      expect(run.stdout).toMatch(/load: target 500\.0\/s, achieved \d+\.\d\/s, .*dropped \d+/);
      const dashboards = run.results!.checks['dashboards']!;
      expect(dashboards.valid, dashboards.summary).toBe(true);
      // Every query ran except those of a source this run lacks: k6 (the load is the harness generator's).
      const config = parseYaml(readFileSync(join(run.results!.runDir, 'prometheus', 'prometheus.yml'), 'utf8')) as {
        scrape_configs: { job_name: string; static_configs: { labels?: Record<string, string> }[] }[];
      };
      // The run scrapes its embedded proxy, so its byte counters are proven too; only k6's queries are skipped.
      expect(config.scrape_configs.some((j) => j.job_name === SCRAPE_JOBS.proxy)).toBe(true);
      const all = dashboardFiles().flatMap((f) => extractQueries(readDashboard(f), basename(f)));
      // Every RabbitMQ node serves Raft figures (its own Ra systems), quorum queues or not: the Raft panels run too.
      const evaluated = all.filter(
        (q) => q.optionalSource === undefined || q.optionalSource === 'toxiproxy' || q.optionalSource === 'raft',
      );
      expect(dashboards.queries).toBe(evaluated.length);
      const skipped = dashboards['skipped'] as { name: string; reason: string }[];
      expect(skipped).toHaveLength(all.length - evaluated.length);
      expect(dashboards.summary).toMatch(/skipped \d+ k6 quer/);
      expect(dashboards.queries).toBeGreaterThan(80);
      // Those queries all filtered on origin="harness": the run's own series carry the run's labels.
      for (const job of config.scrape_configs)
        expect(job.static_configs[0]!.labels, job.job_name).toEqual({
          origin: 'harness',
          scenario: 'broker-kill',
          run: basename(run.results!.runDir),
        });
    },
  );
});
