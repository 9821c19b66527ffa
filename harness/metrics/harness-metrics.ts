import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The harness's own view of a run, as Prometheus metrics: what load it asked for and what it got,
 * which faults are active (Grafana draws them as regions), and the checks' verdicts at the end.
 * Served on 127.0.0.1 (free port) at /metrics for the run's Prometheus to scrape.
 */

export const HARNESS_PREFIX = 'harness_';
export const HARNESS_METRICS_PATH = '/metrics';
const LOOPBACK = '127.0.0.1';

/** `harness_check_valid` values: Jepsen's three verdicts as numbers a panel can map to colours. */
export const CHECK_VALUE = { valid: 1, invalid: 0, unknown: -1 } as const;

/** The load generator's running totals (`startOpenModel(...).stats()` has this shape). */
export interface LoadStats {
  sent: number;
  ok: number;
  failed: number;
  dropped: number;
  /** Requests started per second over the last second or so. */
  currentRate: number;
  inFlight?: number;
}

type LoadTotal = 'sent' | 'ok' | 'failed' | 'dropped';

export type CheckValidity = true | false | 'unknown';

export interface HarnessMetricsOptions {
  /** Listen port on 127.0.0.1; 0 (default) = any free port. */
  port?: number;
}

export class StartedHarnessMetrics {
  readonly registry = new Registry();
  readonly #server: Server;
  readonly #port: number;
  readonly #targetRate: Gauge;
  readonly #achievedRate: Gauge;
  readonly #inFlight: Gauge;
  readonly #sent: Counter;
  readonly #completed: Counter<'outcome'>;
  readonly #dropped: Counter;
  readonly #faultActive: Gauge<'fault'>;
  readonly #checkValid: Gauge<'check'>;
  readonly #runInfo: Gauge<'scenario'>;
  /** Load totals already added to the counters: counters only go up, so we add differences. */
  readonly #seen: Record<LoadTotal, number> = { sent: 0, ok: 0, failed: 0, dropped: 0 };
  readonly #knownFaults = new Set<string>();
  #loadSource: (() => LoadStats) | null = null;
  #closed = false;

  private constructor(server: Server) {
    this.#server = server;
    this.#port = (server.address() as AddressInfo).port;
    const registers = [this.registry];
    const p = HARNESS_PREFIX;
    this.#targetRate = new Gauge({
      name: `${p}load_target_requests_per_second`,
      help: 'Arrival rate the load generator is asked for.',
      registers,
    });
    this.#achievedRate = new Gauge({
      name: `${p}load_achieved_requests_per_second`,
      help: 'Requests the load generator actually started per second, over the last second.',
      registers,
    });
    this.#inFlight = new Gauge({ name: `${p}load_requests_in_flight`, help: 'Requests sent and not answered yet.', registers });
    this.#sent = new Counter({ name: `${p}load_requests_sent_total`, help: 'Requests the load generator sent.', registers });
    this.#completed = new Counter({
      name: `${p}load_requests_completed_total`,
      help: 'Requests answered, by outcome: ok (2xx) or failed (anything else, errors, timeouts).',
      labelNames: ['outcome'],
      registers,
    });
    this.#dropped = new Counter({
      name: `${p}load_requests_dropped_total`,
      help: 'Requests due that were never sent: no free slot or the generator fell behind (open model).',
      registers,
    });
    this.#faultActive = new Gauge({
      name: `${p}fault_active`,
      help: '1 while the fault is active, 0 otherwise.',
      labelNames: ['fault'],
      registers,
    });
    this.#checkValid = new Gauge({
      name: `${p}check_valid`,
      help: "A checker's verdict: 1 valid, 0 invalid, -1 unknown.",
      labelNames: ['check'],
      registers,
    });
    this.#runInfo = new Gauge({
      name: `${p}run_info`,
      help: 'Always 1; labels name the scenario being run.',
      labelNames: ['scenario'],
      registers,
    });
    for (const outcome of ['ok', 'failed']) this.#completed.inc({ outcome }, 0);
  }

  static async start(options: HarnessMetricsOptions = {}): Promise<StartedHarnessMetrics> {
    let metrics: StartedHarnessMetrics | undefined;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?', 1)[0];
      if (path !== HARNESS_METRICS_PATH || !metrics) {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end(`expected GET ${HARNESS_METRICS_PATH}\n`);
        return;
      }
      metrics
        .#expose()
        .then(({ contentType, body }) => {
          res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
          res.end(body);
        })
        .catch((err: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`metrics failed: ${err.message}\n`);
        });
    });
    server.listen(options.port ?? 0, LOOPBACK);
    await once(server, 'listening');
    metrics = new StartedHarnessMetrics(server);
    return metrics;
  }

  get port(): number {
    return this.#port;
  }
  /** `host:port`, as a Prometheus static target. */
  get target(): string {
    return `${LOOPBACK}:${this.#port}`;
  }
  get url(): string {
    return `http://${this.target}${HARNESS_METRICS_PATH}`;
  }

  setRunInfo(scenario: string): void {
    this.#runInfo.reset();
    this.#runInfo.set({ scenario }, 1);
  }

  setTargetRate(requestsPerSecond: number): void {
    this.#targetRate.set(requestsPerSecond);
  }

  /** Pushes the generator's totals (call it from a ticker), or see `trackLoad`. */
  updateLoad(stats: LoadStats): void {
    this.#addDelta(this.#sent, 'sent', stats.sent);
    this.#addDelta(this.#completed, 'ok', stats.ok, { outcome: 'ok' });
    this.#addDelta(this.#completed, 'failed', stats.failed, { outcome: 'failed' });
    this.#addDelta(this.#dropped, 'dropped', stats.dropped);
    this.#achievedRate.set(stats.currentRate);
    this.#inFlight.set(stats.inFlight ?? Math.max(0, stats.sent - stats.ok - stats.failed));
  }

  /** Reads the generator's totals at every scrape, e.g. `trackLoad(() => run.stats())`; null stops. */
  trackLoad(source: (() => LoadStats) | null): void {
    this.#loadSource = source;
  }

  /** Names every fault of the schedule up front, so each has a series (at 0) before it starts. */
  declareFaults(names: Iterable<string>): void {
    for (const fault of names) {
      this.#knownFaults.add(fault);
      this.#faultActive.set({ fault }, 0);
    }
  }

  setFaultActive(fault: string, active: boolean): void {
    this.#knownFaults.add(fault);
    this.#faultActive.set({ fault }, active ? 1 : 0);
  }

  /** Exactly these faults are active now (e.g. `syncFaults(schedule.active)` from a ticker); every other known fault is 0. */
  syncFaults(active: readonly string[]): void {
    for (const fault of active) this.#knownFaults.add(fault);
    for (const fault of this.#knownFaults) this.#faultActive.set({ fault }, active.includes(fault) ? 1 : 0);
  }

  /** The checkers' verdicts: `{ zero-loss: { valid: true }, ... }` as `harness_check_valid{check}`. */
  setCheckResults(results: Record<string, { valid: CheckValidity }>): void {
    for (const [check, result] of Object.entries(results)) this.setCheckValid(check, result.valid);
  }

  setCheckValid(check: string, valid: CheckValidity): void {
    this.#checkValid.set({ check }, valid === true ? CHECK_VALUE.valid : valid === false ? CHECK_VALUE.invalid : CHECK_VALUE.unknown);
  }

  /** Prometheus text exposition, as served. */
  async metrics(): Promise<string> {
    return (await this.#expose()).body;
  }

  async stop(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #expose(): Promise<{ contentType: string; body: string }> {
    if (this.#loadSource) this.updateLoad(this.#loadSource());
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #addDelta(counter: Counter<string>, key: LoadTotal, total: number, labels?: Record<string, string>): void {
    const delta = total - this.#seen[key];
    if (delta <= 0) return;
    this.#seen[key] = total;
    if (labels) counter.inc(labels, delta);
    else counter.inc(delta);
  }
}
