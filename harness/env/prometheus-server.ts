import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { delimiter, join } from 'node:path';
import { PrometheusClient } from '../metrics/prometheus-client.ts';
import { DEFAULT_SCRAPE_INTERVAL_SECONDS, renderPrometheusConfig, type ScrapeTargetGroup } from '../metrics/scrape-config.ts';
import { logTail, sleep, terminate } from './child-exit.ts';
import { registerChild } from './child-registry.ts';
import { freePort } from './free-port.ts';

/**
 * A private Prometheus for one run, started from the `prometheus` binary on PATH (Debian's 2.42
 * here) with a generated config: scrape every second, one job per target group, TSDB inside the
 * run directory, listening on 127.0.0.1 on a free port, remote-write receiver on (so k6 can push
 * to it). A Prometheus the Debian package may run on :9090 is never touched.
 *
 * With `PROMETHEUS_URL` set, `startPrometheus` uses that Prometheus instead and starts nothing:
 * scraping the run's targets is then the user's job. The config we would have used is written to
 * `<dir>/prometheus.yml` to copy from; the targets are 127.0.0.1 ports chosen at run time, so that
 * Prometheus must run on this machine (or reach it) and reload its config for each run.
 */

export const PROMETHEUS_URL_ENV = 'PROMETHEUS_URL';
/** Overrides the binary looked up on PATH. */
export const PROMETHEUS_BIN_ENV = 'PROMETHEUS_BIN';
const LOOPBACK = '127.0.0.1';
/** A cold start with an empty TSDB takes well under a second here; CI machines get slack. */
const READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 100;
const STOP_TIMEOUT_MS = 10_000;
/** The free port can be taken between asking and binding: try a few. */
const START_ATTEMPTS = 3;

export class PrometheusNotInstalledError extends Error {
  constructor(binary: string) {
    super(`${binary} not found on PATH: install it (Debian/Ubuntu: apt-get install -y prometheus, which also brings promtool), set ${PROMETHEUS_BIN_ENV} to the binary, or set ${PROMETHEUS_URL_ENV} to use a running Prometheus`);
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
  #running = true;

  private constructor(url: string, child: ChildProcess, exited: Promise<void>, configFile: string, logFile: string, log: WriteStream) {
    super(url);
    this.#child = child;
    void exited.then(() => {
      this.#running = false;
    });
    this.configFile = configFile;
    this.logFile = logFile;
    this.#log = log;
  }

  static async start(options: PrometheusOptions): Promise<StartedPrometheus> {
    const binary = findPrometheus(options.binary);
    mkdirSync(options.dir, { recursive: true });
    const configFile = writeConfig(options);
    const logFile = join(options.dir, 'prometheus.log');
    let lastError: Error | undefined;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      const port = await freePort();
      const log = createWriteStream(logFile, { flags: 'a' });
      const child = spawn(
        binary,
        [
          `--config.file=${configFile}`,
          `--storage.tsdb.path=${join(options.dir, 'data')}`,
          `--web.listen-address=${LOOPBACK}:${port}`,
          '--web.enable-remote-write-receiver',
          // A run's TSDB is thrown away with its directory; no WAL compression work on a 2-core machine.
          '--storage.tsdb.retention.time=1d',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
      child.stdout?.pipe(log, { end: false });
      child.stderr?.pipe(log, { end: false });
      registerChild(child, `prometheus ${LOOPBACK}:${port}`);
      const exited = new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.once('error', () => resolve());
      });
      const prometheus = new StartedPrometheus(`http://${LOOPBACK}:${port}`, child, exited, configFile, logFile, log);
      try {
        await Promise.race([prometheus.#waitUntilReady(), spawnFailed.then((err) => Promise.reject(new PrometheusStartError(`could not run ${binary}: ${err.message}`)))]);
        return prometheus;
      } catch (err) {
        lastError = err as Error;
        await prometheus.stop();
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

  /** SIGTERM (Prometheus flushes its head block), SIGKILL if it takes too long. */
  async stop(): Promise<void> {
    if (this.#running) await terminate(this.#child, STOP_TIMEOUT_MS);
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = 'not tried';
    while (Date.now() < deadline) {
      if (!this.#running) throw new PrometheusStartError(`prometheus exited during start: ${lastError}; see ${this.logFile}\n${logTail(this.logFile)}`);
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

  static async use(url: string, options: Pick<PrometheusOptions, 'dir' | 'targets' | 'scrapeIntervalSeconds'>): Promise<ExternalPrometheus> {
    mkdirSync(options.dir, { recursive: true });
    const prometheus = new ExternalPrometheus(url, writeConfig(options));
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

function writeConfig(options: Pick<PrometheusOptions, 'dir' | 'targets' | 'scrapeIntervalSeconds'>): string {
  const file = join(options.dir, 'prometheus.yml');
  const text = renderPrometheusConfig(options.targets, {
    scrapeIntervalSeconds: options.scrapeIntervalSeconds ?? DEFAULT_SCRAPE_INTERVAL_SECONDS,
    header: 'Generated by the harness for one run (harness/env/prometheus-server.ts).',
  });
  writeFileSync(file, text);
  return file;
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
  const candidates = name.includes('/') ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  throw new PrometheusNotInstalledError(name);
}

