/**
 * The Prometheus configuration of a run, as data and as the YAML Prometheus reads: one scrape job
 * per target group, optionally forwarded to another Prometheus by remote write. Kept apart from the
 * process that runs it so a unit test (and promtool) can check the text without starting anything.
 */

/** One scrape job: the things to scrape at `metricsPath` (default `/metrics`), e.g. every worker. */
export interface ScrapeTargetGroup {
  job: string;
  /** `host:port` each. */
  targets: string[];
  metricsPath?: string;
  /** Extra labels on every series of these targets. */
  labels?: Record<string, string>;
}

/** Fast enough to see a 5 s fault on a dashboard; cheap enough for a handful of local targets. */
export const DEFAULT_SCRAPE_INTERVAL_SECONDS = 1;

export class InvalidScrapeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidScrapeConfigError';
  }
}

const JOB_NAME = /^[A-Za-z0-9_.:-]+$/;
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOST_PORT = /^[^\s/:]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/;

export function validateScrapeTargets(groups: readonly ScrapeTargetGroup[]): void {
  const jobs = new Set<string>();
  for (const g of groups) {
    if (!JOB_NAME.test(g.job)) throw new InvalidScrapeConfigError(`job ${JSON.stringify(g.job)}: expected letters, digits and _ . : -`);
    if (jobs.has(g.job)) throw new InvalidScrapeConfigError(`job ${g.job} appears twice: expected one group per job`);
    jobs.add(g.job);
    for (const t of g.targets)
      if (!HOST_PORT.test(t)) throw new InvalidScrapeConfigError(`job ${g.job}: target ${JSON.stringify(t)}: expected host:port`);
    if (g.metricsPath !== undefined && !g.metricsPath.startsWith('/'))
      throw new InvalidScrapeConfigError(`job ${g.job}: metricsPath ${JSON.stringify(g.metricsPath)}: expected a path starting with /`);
    for (const name of Object.keys(g.labels ?? {})) {
      if (!LABEL_NAME.test(name) || name.startsWith('__'))
        throw new InvalidScrapeConfigError(`job ${g.job}: label ${JSON.stringify(name)}: expected a Prometheus label name`);
    }
  }
}

/** Forward every scraped sample to another Prometheus (e.g. the docker compose one, so its Grafana shows the run). */
export interface RemoteWrite {
  /** The receiver's endpoint: `http(s)://host:port/api/v1/write`. */
  url: string;
  /**
   * Labels added to every forwarded series (Prometheus `external_labels`: local queries never see
   * them), so the receiver can tell this run's series from its own scrapes of the same jobs.
   */
  externalLabels?: Record<string, string>;
}

/**
 * How long forwarded samples may wait in a batch: a dashboard fed by remote write lags by about
 * this much (Prometheus' default is 5 s, longer than the faults it should show).
 */
export const REMOTE_WRITE_BATCH_SEND_DEADLINE_SECONDS = 1;

/** `what` names where the URL came from in the error (e.g. an environment variable). */
export function validateRemoteWrite(remoteWrite: RemoteWrite, what = 'remoteWrite.url'): void {
  let url: URL | undefined;
  try {
    url = new URL(remoteWrite.url);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    throw new InvalidScrapeConfigError(
      `${what} ${JSON.stringify(remoteWrite.url)}: expected an http(s) URL such as http://prometheus:9090/api/v1/write`,
    );
  }
  for (const [name, value] of Object.entries(remoteWrite.externalLabels ?? {})) {
    if (!LABEL_NAME.test(name) || name.startsWith('__'))
      throw new InvalidScrapeConfigError(`external label ${JSON.stringify(name)}: expected a Prometheus label name`);
    // An empty value means "no such label" to Prometheus: it would silently vanish.
    if (value === '') throw new InvalidScrapeConfigError(`external label ${name}: expected a non-empty value`);
  }
}

export interface RenderOptions {
  scrapeIntervalSeconds?: number;
  /** A comment at the top of the file. */
  header?: string;
  remoteWrite?: RemoteWrite;
  /**
   * Labels on every target of every job, so every series this Prometheus scrapes carries them (a
   * run's `origin`, `scenario` and `run`: the dashboards' variables filter on them). A group's own
   * label of the same name wins.
   */
  seriesLabels?: Record<string, string>;
}

/** Names Prometheus accepts on a series, each with a value (an empty one means no label). */
function validateSeriesLabels(labels: Record<string, string>): void {
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__'))
      throw new InvalidScrapeConfigError(`series label ${JSON.stringify(name)}: expected a Prometheus label name`);
    if (value === '') throw new InvalidScrapeConfigError(`series label ${name}: expected a non-empty value`);
  }
}

/** prometheus.yml text. Strings are JSON-quoted, which YAML reads as double-quoted scalars. */
export function renderPrometheusConfig(groups: readonly ScrapeTargetGroup[], options: RenderOptions = {}): string {
  validateScrapeTargets(groups);
  const interval = options.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
  if (!(interval > 0)) throw new InvalidScrapeConfigError(`scrapeIntervalSeconds: expected a number > 0, got ${interval}`);
  const remoteWrite = options.remoteWrite;
  if (remoteWrite) validateRemoteWrite(remoteWrite);
  const seriesLabels = options.seriesLabels ?? {};
  validateSeriesLabels(seriesLabels);
  const q = (s: string) => JSON.stringify(s);
  const labelMap = (labels: Record<string, string>) =>
    `{${Object.entries(labels)
      .map(([k, v]) => `${q(k)}: ${q(v)}`)
      .join(', ')}}`;
  const lines: string[] = [];
  if (options.header) for (const line of options.header.split('\n')) lines.push(`# ${line}`);
  lines.push(
    'global:',
    `  scrape_interval: ${duration(interval)}`,
    `  scrape_timeout: ${duration(interval)}`,
    `  evaluation_interval: ${duration(interval)}`,
  );
  const externalLabels = remoteWrite?.externalLabels ?? {};
  if (Object.keys(externalLabels).length) lines.push(`  external_labels: ${labelMap(externalLabels)}`);
  lines.push(groups.length ? 'scrape_configs:' : 'scrape_configs: []');
  for (const g of groups) {
    lines.push(
      `  - job_name: ${q(g.job)}`,
      `    metrics_path: ${q(g.metricsPath ?? '/metrics')}`,
      '    static_configs:',
      `      - targets: [${g.targets.map(q).join(', ')}]`,
    );
    const labels = { ...seriesLabels, ...g.labels };
    if (Object.keys(labels).length) lines.push(`        labels: ${labelMap(labels)}`);
  }
  if (remoteWrite) {
    lines.push(
      'remote_write:',
      `  - url: ${q(remoteWrite.url)}`,
      '    queue_config:',
      `      batch_send_deadline: ${duration(REMOTE_WRITE_BATCH_SEND_DEADLINE_SECONDS)}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** Prometheus durations are integers with a unit: 1.5 s is `1500ms`. */
function duration(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`;
}
