import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  ExternalPrometheus,
  findPrometheus,
  findPromtool,
  HARNESS_ORIGIN,
  PROMETHEUS_REMOTE_WRITE_URL_ENV,
  PrometheusNotInstalledError,
  PrometheusStartError,
  remoteWriteFromEnv,
  runSeriesLabels,
} from '../../../harness/env/prometheus-server.ts';
import { proxyScrapeTargets, runScrapeTargets, SCRAPE_JOBS } from '../../../harness/metrics/run-targets.ts';
import {
  InvalidScrapeConfigError,
  REMOTE_WRITE_BATCH_SEND_DEADLINE_SECONDS,
  renderPrometheusConfig,
  type ScrapeTargetGroup,
} from '../../../harness/metrics/scrape-config.ts';

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

describe('the proxy as a scrape target', () => {
  it("is job toxiproxy at the API's host and port, where the embedded proxy and Toxiproxy -proxy-metrics serve /metrics", () => {
    expect(proxyScrapeTargets({ url: 'http://127.0.0.1:41234' })).toEqual([{ job: SCRAPE_JOBS.proxy, targets: ['127.0.0.1:41234'] }]);
    expect(proxyScrapeTargets({ url: 'http://toxiproxy/' })).toEqual([{ job: 'toxiproxy', targets: ['toxiproxy:80'] }]);
    const withProxy = runScrapeTargets({
      broker: { host: '127.0.0.1', prometheusPort: 15692 },
      system: { processes: [] },
      proxies: { url: 'http://127.0.0.1:8474' },
    });
    expect(withProxy.at(-1)).toEqual({ job: 'toxiproxy', targets: ['127.0.0.1:8474'] });
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
    const text = renderPrometheusConfig([{ job: 'x', targets: ['localhost:1'], labels: { scenario: 'broker "restart"' } }], {
      scrapeIntervalSeconds: 0.5,
      header: 'two\nlines',
    });
    expect(text).toMatch(/^# two\n# lines\n/);
    expect(text).toContain('scrape_interval: 500ms');
    expect(promtoolCheck(text)).toContain('SUCCESS');
    expect(promtoolCheck(renderPrometheusConfig([]))).toContain('SUCCESS');
  });

  it('puts the series labels on every target, a group label of the same name winning, which promtool accepts', () => {
    const text = renderPrometheusConfig([...runTargets, { job: 'own', targets: ['localhost:2'], labels: { origin: 'elsewhere' } }], {
      seriesLabels: { origin: 'harness', scenario: 'broker-kill', run: '2024-05-06T07-08-09-010Z' },
    });
    const parsed = parseYaml(text) as { scrape_configs: { job_name: string; static_configs: { labels: Record<string, string> }[] }[] };
    for (const job of parsed.scrape_configs.filter((j) => j.job_name !== 'own'))
      expect(job.static_configs[0]!.labels, job.job_name).toEqual({
        origin: 'harness',
        scenario: 'broker-kill',
        run: '2024-05-06T07-08-09-010Z',
      });
    expect(parsed.scrape_configs.find((j) => j.job_name === 'own')!.static_configs[0]!.labels.origin).toBe('elsewhere');
    expect(promtoolCheck(text)).toContain('SUCCESS');
    expect(() => renderPrometheusConfig([], { seriesLabels: { run: '' } })).toThrow(/non-empty/);
    expect(() => renderPrometheusConfig([], { seriesLabels: { 'a-b': 'x' } })).toThrow(InvalidScrapeConfigError);
  });

  it('names what is wrong with bad input', () => {
    expect(() =>
      renderPrometheusConfig([
        { job: 'a', targets: [] },
        { job: 'a', targets: [] },
      ]),
    ).toThrow(InvalidScrapeConfigError);
    expect(() => renderPrometheusConfig([{ job: 'a', targets: ['http://x:1'] }])).toThrow(/expected host:port/);
    expect(() => renderPrometheusConfig([{ job: 'a', targets: [], metricsPath: 'metrics' }])).toThrow(/starting with \//);
    expect(() => renderPrometheusConfig([{ job: 'a b', targets: [] }])).toThrow(InvalidScrapeConfigError);
    expect(() => renderPrometheusConfig([{ job: 'a', targets: [], labels: { __name__: 'x' } }])).toThrow(/label/);
    expect(() => renderPrometheusConfig([], { scrapeIntervalSeconds: 0 })).toThrow(/scrapeIntervalSeconds/);
  });
});

describe('remote write', () => {
  const url = 'http://prometheus:9090/api/v1/write';
  const externalLabels = { origin: 'harness', scenario: 'broker-restart', run: '2024-01-01T00-00-00-000Z' };
  interface Parsed {
    global: { external_labels?: Record<string, string> };
    remote_write?: { url: string; queue_config: { batch_send_deadline: string } }[];
  }

  it('forwards to the URL with the external labels and a short batch deadline, which promtool accepts', () => {
    const text = renderPrometheusConfig(runTargets, { remoteWrite: { url, externalLabels } });
    const parsed = parseYaml(text) as Parsed;
    expect(parsed.remote_write).toEqual([{ url, queue_config: { batch_send_deadline: `${REMOTE_WRITE_BATCH_SEND_DEADLINE_SECONDS}s` } }]);
    expect(parsed.global.external_labels).toEqual(externalLabels);
    expect(promtoolCheck(text)).toContain('SUCCESS');
    expect(promtoolCheck(renderPrometheusConfig([], { remoteWrite: { url: 'https://user@example.org:443/push?tenant="a b"' } }))).toContain(
      'SUCCESS',
    );
  });

  it('writes neither remote_write nor external labels without it', () => {
    const parsed = parseYaml(renderPrometheusConfig(runTargets)) as Parsed;
    expect(parsed.remote_write).toBeUndefined();
    expect(parsed.global.external_labels).toBeUndefined();
    expect(parseYaml(renderPrometheusConfig(runTargets, { remoteWrite: { url } }))).not.toHaveProperty('global.external_labels');
  });

  it('names what is wrong with a bad URL or label', () => {
    for (const bad of ['prometheus:9090/api/v1/write', 'ftp://prometheus/api/v1/write', 'not a url', '']) {
      expect(() => renderPrometheusConfig([], { remoteWrite: { url: bad } })).toThrow(InvalidScrapeConfigError);
    }
    expect(() => renderPrometheusConfig([], { remoteWrite: { url: 'x' } })).toThrow(/expected an http\(s\) URL/);
    expect(() => renderPrometheusConfig([], { remoteWrite: { url, externalLabels: { 'run-id': 'x' } } })).toThrow(
      /external label "run-id"/,
    );
    expect(() => renderPrometheusConfig([], { remoteWrite: { url, externalLabels: { __name__: 'x' } } })).toThrow(InvalidScrapeConfigError);
    expect(() => renderPrometheusConfig([], { remoteWrite: { url, externalLabels: { run: '' } } })).toThrow(/non-empty/);
  });
});

describe('remote write from the environment', () => {
  const runDir = join(dir, 'runs', 'broker-kill', '2024-05-06T07-08-09-010Z');
  const saved = process.env[PROMETHEUS_REMOTE_WRITE_URL_ENV];
  afterEach(() => {
    if (saved === undefined) delete process.env[PROMETHEUS_REMOTE_WRITE_URL_ENV];
    else process.env[PROMETHEUS_REMOTE_WRITE_URL_ENV] = saved;
  });

  it('is off unless PROMETHEUS_REMOTE_WRITE_URL is set', () => {
    expect(remoteWriteFromEnv({}, join(runDir, 'prometheus'))).toBeUndefined();
    expect(remoteWriteFromEnv({ [PROMETHEUS_REMOTE_WRITE_URL_ENV]: ' ' }, join(runDir, 'prometheus'))).toBeUndefined();
  });

  it("labels a run's series with origin, scenario and run, taken from the run directory", () => {
    const env = { [PROMETHEUS_REMOTE_WRITE_URL_ENV]: 'http://prometheus:9090/api/v1/write' };
    expect(remoteWriteFromEnv(env, join(runDir, 'prometheus'))).toEqual({
      url: 'http://prometheus:9090/api/v1/write',
      externalLabels: { ...HARNESS_ORIGIN, scenario: 'broker-kill', run: '2024-05-06T07-08-09-010Z' },
    });
    // Anywhere else (a test's own directory): only the origin.
    expect(remoteWriteFromEnv(env, join(dir, 'elsewhere'))?.externalLabels).toEqual(HARNESS_ORIGIN);
  });

  it('refuses a malformed URL, naming the variable', () => {
    expect(() => remoteWriteFromEnv({ [PROMETHEUS_REMOTE_WRITE_URL_ENV]: 'prometheus:9090' }, dir)).toThrow(InvalidScrapeConfigError);
    expect(() => remoteWriteFromEnv({ [PROMETHEUS_REMOTE_WRITE_URL_ENV]: 'prometheus:9090' }, dir)).toThrow(
      new RegExp(PROMETHEUS_REMOTE_WRITE_URL_ENV),
    );
  });

  it("labels every series a run's Prometheus scrapes the same way, with or without remote write", async () => {
    expect(runSeriesLabels(join(runDir, 'prometheus'))).toEqual({
      ...HARNESS_ORIGIN,
      scenario: 'broker-kill',
      run: '2024-05-06T07-08-09-010Z',
    });
    expect(runSeriesLabels(join(dir, 'elsewhere'))).toEqual(HARNESS_ORIGIN);
    delete process.env[PROMETHEUS_REMOTE_WRITE_URL_ENV];
    const promDir = join(dir, 'runs', 'dlx', '2024-05-06T07-08-09-011Z', 'prometheus');
    await expect(ExternalPrometheus.use('http://127.0.0.1:1', { dir: promDir, targets: runTargets })).rejects.toThrow(PrometheusStartError);
    const parsed = parseYaml(readFileSync(join(promDir, 'prometheus.yml'), 'utf8')) as {
      global: Record<string, unknown>;
      scrape_configs: { static_configs: { labels: Record<string, string> }[] }[];
    };
    expect(parsed.global.external_labels).toBeUndefined();
    for (const job of parsed.scrape_configs)
      expect(job.static_configs[0]!.labels).toEqual({ origin: 'harness', scenario: 'dlx', run: '2024-05-06T07-08-09-011Z' });
  });

  it("goes into the run's prometheus.yml when the variable is set", async () => {
    process.env[PROMETHEUS_REMOTE_WRITE_URL_ENV] = 'http://prometheus:9090/api/v1/write';
    const promDir = join(runDir, 'prometheus');
    // An external Prometheus that is not there: the config is written before it is found missing, and nothing is started.
    await expect(ExternalPrometheus.use('http://127.0.0.1:1', { dir: promDir, targets: runTargets })).rejects.toThrow(PrometheusStartError);
    const text = readFileSync(join(promDir, 'prometheus.yml'), 'utf8');
    const parsed = parseYaml(text) as { global: { external_labels: Record<string, string> }; remote_write: { url: string }[] };
    expect(parsed.remote_write.map((r) => r.url)).toEqual(['http://prometheus:9090/api/v1/write']);
    expect(parsed.global.external_labels).toMatchObject({ ...HARNESS_ORIGIN, scenario: 'broker-kill' });
    expect(promtoolCheck(text)).toContain('SUCCESS');
  });
});

describe('finding the prometheus binary', () => {
  it('names the install step when it is missing', () => {
    expect(() => findPrometheus('/nonexistent/prometheus')).toThrow(PrometheusNotInstalledError);
    expect(() => findPrometheus('/nonexistent/prometheus')).toThrow(/apt-get install -y prometheus/);
  });
});
