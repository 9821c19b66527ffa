import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PrometheusClient } from '../metrics/prometheus-client.ts';
import {
  DEFAULT_SCRAPE_INTERVAL_SECONDS,
  REMOTE_WRITE_BATCH_SEND_DEADLINE_SECONDS,
  renderPrometheusConfig,
  validateRemoteWrite,
  type RemoteWrite,
  type ScrapeTargetGroup,
} from '../metrics/scrape-config.ts';
import { logTail, sleep, terminate } from './child-exit.ts';
import { findOnPath } from './find-on-path.ts';
import { freePort } from './free-port.ts';
import { lifelineGone, spawnWithLifeline } from './lifeline.ts';

/**
 * A private Prometheus for one run, started from the `prometheus` binary on PATH (Debian's 2.42
 * here) with a generated config: scrape every second, one job per target group, TSDB inside the
 * run directory, listening on 127.0.0.1 on a free port, remote-write receiver on (so k6 can push
 * to it). A Prometheus the Debian package may run on :9090 is never touched.
 *
 * Every series it scrapes is labelled `origin="harness"` and, for a run's Prometheus (its directory
 * `<runs>/<scenario>/<timestamp>/prometheus`), `scenario` and `run` (see `runSeriesLabels`): the
 * dashboards' `origin`, `scenario` and `run` variables filter on them, here as on the compose
 * Prometheus. With `PROMETHEUS_REMOTE_WRITE_URL` set (the docker compose `harness` service sets it
 * to the compose Prometheus), every sample is also forwarded there by remote write, with the same
 * labels (see `remoteWriteFromEnv`), so the compose Grafana shows the run beside, and
 * distinguishable from, what the compose Prometheus scrapes itself.
 *
 * With `PROMETHEUS_URL` set, `startPrometheus` uses that Prometheus instead and starts nothing:
 * scraping the run's targets is then the user's job. The config we would have used is written to
 * `<dir>/prometheus.yml` to copy from; the targets are 127.0.0.1 ports chosen at run time, so that
 * Prometheus must run on this machine (or reach it) and reload its config for each run.
 */

export const PROMETHEUS_URL_ENV = 'PROMETHEUS_URL';
/** Overrides the binary looked up on PATH. */
export const PROMETHEUS_BIN_ENV = 'PROMETHEUS_BIN';
export const PROMETHEUS_REMOTE_WRITE_URL_ENV = 'PROMETHEUS_REMOTE_WRITE_URL';
/** On every forwarded series: what sent it (the compose Prometheus labels its own scrapes `origin="compose"`). */
export const HARNESS_ORIGIN = { origin: 'harness' } as const;
/** The run's Prometheus generated config lives in `<run dir>/<this>` (see harness/runner/run-scenario.ts). */
const RUN_PROMETHEUS_DIR = 'prometheus';
const LOOPBACK = '127.0.0.1';
/** A cold start with an empty TSDB takes well under a second here; CI machines get slack. */
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;
const STOP_TIMEOUT_MS = 10_000;
/**
 * Prometheus waits this long on shutdown to send what remote write still holds (its default is a
 * minute): under STOP_TIMEOUT_MS, so an unreachable receiver cannot turn every stop into a SIGKILL.
 */
const REMOTE_WRITE_FLUSH_DEADLINE_SECONDS = 5;
/** Allowances on top of a scrape interval and a remote-write batch when the last samples are let out before a stop. */
const FINAL_SCRAPE_SLACK_MS = 1_000;
const FINAL_SEND_SLACK_MS = 500;
/** The free port can be taken between asking and binding: try a few. */
const START_ATTEMPTS = 3;

export class PrometheusNotInstalledError extends Error {
  constructor(binary: string) {
    super(
      `${binary} not found on PATH: install it (Debian/Ubuntu: apt-get install -y prometheus, which also brings promtool), ` +
        `set ${PROMETHEUS_BIN_ENV} to the binary, or set ${PROMETHEUS_URL_ENV} to use a running Prometheus`,
    );
    this.name = 'PrometheusNotInstalledError';
  }
}

export class PrometheusStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrometheusStartError';
  }
}

/** What a run needs from a Prometheus, whoever runs it. */
export interface RunPrometheus extends PrometheusClient {
  /** Remote-write endpoint (k6's `experimental-prometheus-rw` output). */
  readonly remoteWriteUrl: string;
  /** The generated prometheus.yml (used, or to copy from when the Prometheus is external). */
  readonly configFile: string;
  /** False when it is an existing Prometheus we only query. */
  readonly owned: boolean;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface PrometheusOptions {
  /** Holds prometheus.yml, the TSDB (`data/`) and the log (`prometheus.log`). */
  dir: string;
  targets: readonly ScrapeTargetGroup[];
  scrapeIntervalSeconds?: number;
  /** Binary to run; default `$PROMETHEUS_BIN` or `prometheus` on PATH. */
  binary?: string;
  /** Forward samples to another Prometheus; default `remoteWriteFromEnv(process.env, dir)`. */
  remoteWrite?: RemoteWrite;
  /** Labels on every scraped series; default `runSeriesLabels(dir)`. */
  seriesLabels?: Record<string, string>;
}

/** Starts a private Prometheus, or uses `$PROMETHEUS_URL` when set (see the file comment). */
export async function startPrometheus(options: PrometheusOptions): Promise<RunPrometheus> {
  const external = process.env[PROMETHEUS_URL_ENV];
  if (external) return ExternalPrometheus.use(external, options);
  return StartedPrometheus.start(options);
}

export class StartedPrometheus extends PrometheusClient implements RunPrometheus {
  readonly owned = true;
  readonly configFile: string;
  readonly logFile: string;
  readonly #child: ChildProcess;
  readonly #log: WriteStream;
  /** Set when samples are remote-written: the scrape interval, to let the last ones out before stopping. */
  readonly #forwardingIntervalMs: number | null;
  #running = true;

  private constructor(url: string, child: ChildProcess, exited: Promise<void>, config: WrittenConfig, logFile: string, log: WriteStream) {
    super(url);
    this.#child = child;
    void exited.then(() => {
      this.#running = false;
    });
    this.configFile = config.file;
    this.#forwardingIntervalMs = config.remoteWrite ? config.scrapeIntervalSeconds * 1000 : null;
    this.logFile = logFile;
    this.#log = log;
  }

  static async start(options: PrometheusOptions): Promise<StartedPrometheus> {
    const binary = findPrometheus(options.binary);
    mkdirSync(options.dir, { recursive: true });
    const config = writeConfig(options);
    const logFile = join(options.dir, 'prometheus.log');
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const port = await freePort();
      const log = createWriteStream(logFile, { flags: 'a' });
      // Under a lifeline (lifeline.ts): whatever ends the harness, SIGKILL included, ends this Prometheus too.
      const child = spawnWithLifeline(
        binary,
        [
          `--config.file=${config.file}`,
          `--storage.tsdb.path=${join(options.dir, 'data')}`,
          `--web.listen-address=${LOOPBACK}:${port}`,
          '--web.enable-remote-write-receiver',
          `--storage.remote.flush-deadline=${REMOTE_WRITE_FLUSH_DEADLINE_SECONDS}s`,
          // A run's TSDB is thrown away with its directory; no WAL compression work on a 2-core machine.
          '--storage.tsdb.retention.time=1d',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'], label: `prometheus ${LOOPBACK}:${port}` },
      );
      const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      const exited = new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      });
      const prometheus = new StartedPrometheus(`http://${LOOPBACK}:${port}`, child, exited, config, logFile, log);
      try {
        await Promise.race([
          prometheus.#waitUntilReady(),
          spawnFailed.then((err) => Promise.reject(new PrometheusStartError(`could not run ${binary}: ${err.message}`))),
        ]);
        return prometheus;
      } catch (err) {
        lastError = err as Error;
        await prometheus.#terminate();
      }
    }
    throw lastError ?? new PrometheusStartError('prometheus did not start');
  }

  get remoteWriteUrl(): string {
    return `${this.url}/api/v1/write`;
  }
  get pid(): number | undefined {
    return this.#child.pid;
  }
  get running(): boolean {
    return this.#running;
  }

  /**
   * SIGTERM (Prometheus flushes its head block), SIGKILL if it takes too long. When remote-writing,
   * first lets the last values out (see #forwardLastSamples).
   */
  async stop(): Promise<void> {
    if (this.#running && this.#forwardingIntervalMs !== null) await this.#forwardLastSamples(this.#forwardingIntervalMs);
    await this.#terminate();
  }

  async #terminate(): Promise<void> {
    if (this.#running) await terminate(this.#child, STOP_TIMEOUT_MS);
    await lifelineGone(this.#child);
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }

  /**
   * The values set just before teardown (the checks' verdicts) are the ones a dashboard fed by
   * remote write most needs, yet a stop right after them leaves them unscraped or unsent: wait for
   * one more scrape of every target, then for one batch to go out. Bounded; a Prometheus that does
   * not answer is simply stopped.
   */
  async #forwardLastSamples(intervalMs: number): Promise<void> {
    const since = Date.now();
    const deadline = since + 2 * intervalMs + FINAL_SCRAPE_SLACK_MS;
    try {
      while (Date.now() < deadline) {
        if ((await this.targets()).every((t) => Date.parse(t.lastScrape) > since)) break;
        await sleep(READY_POLL_MS);
      }
    } catch {
      return;
    }
    await sleep(REMOTE_WRITE_BATCH_SEND_DEADLINE_SECONDS * 1000 + FINAL_SEND_SLACK_MS);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = 'not tried';
    while (Date.now() < deadline) {
      if (!this.#running)
        throw new PrometheusStartError(`prometheus exited during start: ${lastError}; see ${this.logFile}\n${logTail(this.logFile)}`);
      try {
        const response = await fetch(`${this.url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) return;
        lastError = `/-/ready answered ${response.status}`;
      } catch (err) {
        lastError = (err as Error).message;
      }
      await sleep(READY_POLL_MS);
    }
    throw new PrometheusStartError(`prometheus not ready within ${READY_TIMEOUT_MS} ms: ${lastError}; see ${this.logFile}`);
  }
}

/** An existing Prometheus (`PROMETHEUS_URL`): queried, never started or stopped. */
export class ExternalPrometheus extends PrometheusClient implements RunPrometheus {
  readonly owned = false;
  readonly configFile: string;

  private constructor(url: string, configFile: string) {
    super(url);
    this.configFile = configFile;
  }

  static async use(url: string, options: ConfigOptions): Promise<ExternalPrometheus> {
    mkdirSync(options.dir, { recursive: true });
    const prometheus = new ExternalPrometheus(url, writeConfig(options).file);
    try {
      const response = await fetch(`${prometheus.url}/-/ready`, { signal: AbortSignal.timeout(5_000) });
      if (!response.ok) throw new Error(`/-/ready answered ${response.status}`);
    } catch (err) {
      throw new PrometheusStartError(`${PROMETHEUS_URL_ENV}=${url} is not a ready Prometheus: ${(err as Error).message}`);
    }
    return prometheus;
  }

  get remoteWriteUrl(): string {
    return `${this.url}/api/v1/write`;
  }

  async stop(): Promise<void> {}

  async [Symbol.asyncDispose](): Promise<void> {}
}

type ConfigOptions = Pick<PrometheusOptions, 'dir' | 'targets' | 'scrapeIntervalSeconds' | 'remoteWrite' | 'seriesLabels'>;

interface WrittenConfig {
  file: string;
  scrapeIntervalSeconds: number;
  remoteWrite?: RemoteWrite;
}

function writeConfig(options: ConfigOptions): WrittenConfig {
  const file = join(options.dir, 'prometheus.yml');
  const scrapeIntervalSeconds = options.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS;
  const remoteWrite = options.remoteWrite ?? remoteWriteFromEnv(process.env, options.dir);
  const text = renderPrometheusConfig(options.targets, {
    scrapeIntervalSeconds,
    header: 'Generated by the harness for one run (harness/env/prometheus-server.ts).',
    seriesLabels: options.seriesLabels ?? runSeriesLabels(options.dir),
    ...(remoteWrite ? { remoteWrite } : {}),
  });
  writeFileSync(file, text);
  return { file, scrapeIntervalSeconds, ...(remoteWrite ? { remoteWrite } : {}) };
}

/**
 * Remote write to `$PROMETHEUS_REMOTE_WRITE_URL`, or none when it is unset or empty. Forwarded
 * series carry `origin="harness"` and, when `dir` is a run's `<runs>/<scenario>/<timestamp>/prometheus`,
 * `scenario` and `run` (the timestamp directory) so one run can be picked out in Grafana.
 */
export function remoteWriteFromEnv(env: NodeJS.ProcessEnv, dir: string): RemoteWrite | undefined {
  const url = env[PROMETHEUS_REMOTE_WRITE_URL_ENV]?.trim();
  if (!url) return undefined;
  const remoteWrite: RemoteWrite = { url, externalLabels: runSeriesLabels(dir) };
  validateRemoteWrite(remoteWrite, PROMETHEUS_REMOTE_WRITE_URL_ENV);
  return remoteWrite;
}

/**
 * `origin="harness"`, and `scenario` and `run` (the timestamp directory) when `dir` is a run's
 * `<runs>/<scenario>/<timestamp>/prometheus`: what tells this run's series from the compose
 * Prometheus' own and from other runs'.
 */
export function runSeriesLabels(dir: string): Record<string, string> {
  return { ...HARNESS_ORIGIN, ...runLabels(dir) };
}

function runLabels(prometheusDir: string): { scenario?: string; run?: string } {
  if (basename(prometheusDir) !== RUN_PROMETHEUS_DIR) return {};
  const runDir = dirname(prometheusDir);
  const scenario = basename(dirname(runDir));
  const run = basename(runDir);
  return scenario && run ? { scenario, run } : {};
}

/** The prometheus binary: an explicit path, `$PROMETHEUS_BIN`, or `prometheus` on PATH. */
export function findPrometheus(explicit?: string): string {
  return findExecutable(explicit ?? process.env[PROMETHEUS_BIN_ENV] ?? 'prometheus');
}

/** promtool, which ships with Prometheus (config checks). */
export function findPromtool(): string {
  return findExecutable('promtool');
}

function findExecutable(name: string): string {
  const found = findOnPath(name);
  if (found === undefined) throw new PrometheusNotInstalledError(name);
  return found;
}
