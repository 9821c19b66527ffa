import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findPrometheus, findPromtool, PrometheusNotInstalledError } from '../../../harness/env/prometheus-server.ts';
import { runScrapeTargets, SCRAPE_JOBS } from '../../../harness/metrics/run-targets.ts';
import { InvalidScrapeConfigError, renderPrometheusConfig, type ScrapeTargetGroup } from '../../../harness/metrics/scrape-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'scrape-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const runTargets = runScrapeTargets({
  broker: { host: '127.0.0.1', prometheusPort: 15692 },
  system: {
    processes: [
      { instance: 'api-1', ready: { metricsPort: 4000 } },
      { instance: 'orders-1', ready: { metricsPort: 4001 } },
      { instance: 'orders-2', ready: null },
    ],
  },
  harness: { target: '127.0.0.1:4100' },
});

function promtoolCheck(text: string): string {
  const file = join(dir, `prometheus-${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(file, text);
  return execFileSync(findPromtool(), ['check', 'config', file], { encoding: 'utf8' });
}

describe('run scrape targets', () => {
  it('scrapes both broker endpoints as separate jobs, every ready system process, and the harness', () => {
    expect(runTargets).toEqual<ScrapeTargetGroup[]>([
      { job: SCRAPE_JOBS.broker, targets: ['127.0.0.1:15692'] },
      { job: SCRAPE_JOBS.brokerPerObject, targets: ['127.0.0.1:15692'], metricsPath: '/metrics/per-object' },
      { job: SCRAPE_JOBS.system, targets: ['127.0.0.1:4000', '127.0.0.1:4001'] },
      { job: SCRAPE_JOBS.harness, targets: ['127.0.0.1:4100'] },
    ]);
  });
});

describe('renderPrometheusConfig', () => {
  it('writes one job per group with a 1 s scrape interval, which promtool accepts', () => {
    const text = renderPrometheusConfig(runTargets);
    expect(text).toContain('scrape_interval: 1s');
    expect(text).toContain('scrape_timeout: 1s');
    expect(text).toContain('  - job_name: "rabbitmq-per-object"\n    metrics_path: "/metrics/per-object"');
    expect(text.match(/job_name:/g)).toHaveLength(4);
    expect(promtoolCheck(text)).toContain('SUCCESS');
  });

  it('writes labels and fractional intervals in forms promtool accepts', () => {
    const text = renderPrometheusConfig([{ job: 'x', targets: ['localhost:1'], labels: { scenario: 'broker "restart"' } }], { scrapeIntervalSeconds: 0.5, header: 'two\nlines' });
    expect(text).toMatch(/^# two\n# lines\n/);
    expect(text).toContain('scrape_interval: 500ms');
    expect(promtoolCheck(text)).toContain('SUCCESS');
    expect(promtoolCheck(renderPrometheusConfig([]))).toContain('SUCCESS');
  });

  it('names what is wrong with bad input', () => {
    expect(() => renderPrometheusConfig([{ job: 'a', targets: [] }, { job: 'a', targets: [] }])).toThrow(InvalidScrapeConfigError);
    expect(() => renderPrometheusConfig([{ job: 'a', targets: ['http://x:1'] }])).toThrow(/expected host:port/);
    expect(() => renderPrometheusConfig([{ job: 'a', targets: [], metricsPath: 'metrics' }])).toThrow(/starting with \//);
    expect(() => renderPrometheusConfig([{ job: 'a b', targets: [] }])).toThrow(InvalidScrapeConfigError);
    expect(() => renderPrometheusConfig([{ job: 'a', targets: [], labels: { __name__: 'x' } }])).toThrow(/label/);
    expect(() => renderPrometheusConfig([], { scrapeIntervalSeconds: 0 })).toThrow(/scrapeIntervalSeconds/);
  });
});

describe('finding the prometheus binary', () => {
  it('names the install step when it is missing', () => {
    expect(() => findPrometheus('/nonexistent/prometheus')).toThrow(PrometheusNotInstalledError);
    expect(() => findPrometheus('/nonexistent/prometheus')).toThrow(/apt-get install -y prometheus/);
  });
});
