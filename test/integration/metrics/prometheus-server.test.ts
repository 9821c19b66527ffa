import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { liveChildren } from '../../../harness/env/child-registry.ts';
import {
  ExternalPrometheus,
  PROMETHEUS_URL_ENV,
  PrometheusNotInstalledError,
  StartedPrometheus,
  startPrometheus,
} from '../../../harness/env/prometheus-server.ts';
import { StartedHarnessMetrics } from '../../../harness/metrics/harness-metrics.ts';
import { PrometheusQueryError } from '../../../harness/metrics/prometheus-client.ts';
import { harnessScrapeTargets } from '../../../harness/metrics/run-targets.ts';

const root = mkdtempSync(join(tmpdir(), 'prometheus-server-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = () => join(root, `p${n++}`);

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('StartedPrometheus', () => {
  const savedUrl = process.env[PROMETHEUS_URL_ENV];
  afterEach(() => {
    if (savedUrl === undefined) delete process.env[PROMETHEUS_URL_ENV];
    else process.env[PROMETHEUS_URL_ENV] = savedUrl;
  });

  it('scrapes its targets every second, answers queries, and stops by PID', { timeout: 60_000 }, async () => {
    await using harness = await StartedHarnessMetrics.start();
    harness.setFaultActive('latency', true);
    const prometheus = await StartedPrometheus.start({ dir: dir(), targets: harnessScrapeTargets(harness) });
    const pid = prometheus.pid!;
    try {
      expect(prometheus.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(prometheus.url).not.toBe('http://127.0.0.1:9090');
      expect(liveChildren().map((c) => c.pid)).toContain(pid);
      expect(readFileSync(prometheus.configFile, 'utf8')).toContain('scrape_interval: 1s');

      const targets = await prometheus.waitForScrapes({ after: new Date(), timeoutMs: 10_000 });
      expect(targets.map((t) => [t.labels.job, t.health])).toEqual([['harness', 'up']]);
      const data = await prometheus.query('harness_fault_active{fault="latency"}');
      expect(data.resultType).toBe('vector');
      expect(data.resultType === 'vector' && data.result.map((s) => s.value[1])).toEqual(['1']);
      const range = await prometheus.queryRange('harness_fault_active', {
        start: new Date(Date.now() - 10_000),
        end: new Date(),
        stepSeconds: 1,
      });
      expect(range.resultType).toBe('matrix');

      const bad = await prometheus.query('sum(rate(x[').catch((err: unknown) => err);
      expect(bad).toBeInstanceOf(PrometheusQueryError);
      expect((bad as PrometheusQueryError).errorType).toBe('bad_data');

      // The remote-write receiver is on (k6): a malformed write is refused as bad input, not as a missing route.
      const write = await fetch(prometheus.remoteWriteUrl, { method: 'POST', body: 'not snappy' });
      expect(write.status).toBe(400);
    } finally {
      await prometheus.stop();
    }
    expect(prometheus.running).toBe(false);
    expect(pidAlive(pid)).toBe(false);
    expect(liveChildren().map((c) => c.pid)).not.toContain(pid);
  });

  it('uses an existing Prometheus when PROMETHEUS_URL is set, and never stops it', { timeout: 60_000 }, async () => {
    const existing = await StartedPrometheus.start({ dir: dir(), targets: [] });
    try {
      process.env[PROMETHEUS_URL_ENV] = existing.url;
      const runDir = dir();
      const used = await startPrometheus({ dir: runDir, targets: [{ job: 'x', targets: ['127.0.0.1:1'] }] });
      expect(used).toBeInstanceOf(ExternalPrometheus);
      expect(used.owned).toBe(false);
      expect(used.url).toBe(existing.url);
      // The config the user must load into their Prometheus is written for them.
      expect(readFileSync(used.configFile, 'utf8')).toContain('job_name: "x"');
      await used.stop();
      expect(existing.running).toBe(true);
      expect((await used.query('vector(1)')).resultType).toBe('vector');

      process.env[PROMETHEUS_URL_ENV] = 'http://127.0.0.1:1';
      await expect(startPrometheus({ dir: dir(), targets: [] })).rejects.toThrow(
        /PROMETHEUS_URL=http:\/\/127\.0\.0\.1:1 is not a ready Prometheus/,
      );
    } finally {
      await existing.stop();
    }
  });

  it('names the missing binary with an install hint', async () => {
    await expect(StartedPrometheus.start({ dir: dir(), targets: [], binary: '/nonexistent/prometheus' })).rejects.toBeInstanceOf(
      PrometheusNotInstalledError,
    );
  });
});
