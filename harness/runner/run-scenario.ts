import { writeFileSync } from 'node:fs';
import { REFERENCE_TOPOLOGY } from '../../system/target/declared-topology.ts';
import { join } from 'node:path';
import type { FaultEnv } from '../../chaos/fault.ts';
import { seededRandom } from '../../load/seeded-random.ts';
import { scenarioChecks, type ScenarioDefinition, type ScenarioOptions } from '../../scenarios/define-scenario.ts';
import { QUEUES, RETRY_DELAYS_MS, retryQueue, WORK_QUEUES } from '../../system/amqp/topology.ts';
import type { HistoryEvent } from '../../instrument/history-event.ts';
import { HistoryWriter } from '../../instrument/history-writer.ts';
import { exitCodeFor, mergeValidity, runCheckers, type CheckResult, type Validity } from '../checkers/checker.ts';
import { DeliveryLedger } from '../checkers/delivery-ledger.ts';
import { loadCheck } from '../checkers/load-check.ts';
import { DEFAULT_RECOVERY_BOUND_SECONDS, recoveryCheck } from '../checkers/recovery.ts';
import { checkersFor } from '../checkers/registry.ts';
import { finalRead, type FinalReadSummary } from '../env/final-read.ts';
import { recordChildren } from '../env/child-registry.ts';
import { DEFAULT_SYSTEM_SPEC, StartedOrderSystem, type SystemSpec } from '../env/order-system.ts';
import { PrometheusNotInstalledError, startPrometheus, type RunPrometheus } from '../env/prometheus-server.ts';
import { BrokerInspector, type ChannelState } from '../env/broker-inspector.ts';
import { processControlFor } from '../env/process-control.ts';
import { StartedProxyEnv } from '../env/proxy-env.ts';
import { StartedRabbitNode } from '../env/rabbitmq-node.ts';
import { HistoryTail, malformedHistoryCheck } from '../history/read-history.ts';
import { checkDashboards, describeFailures } from '../metrics/dashboard-queries.ts';
import { StartedHarnessMetrics } from '../metrics/harness-metrics.ts';
import { runScrapeTargets, SCRAPE_JOBS } from '../metrics/run-targets.ts';
import { renderVerdict } from '../report/verdict-table.ts';
import { DEFAULT_CLIENT_RETRIES } from '../../load/client-retry.ts';
import { startClientLoad, type ClientLoadSummary } from './client-load.ts';
import { drain } from './drain.ts';
import { startMalformedInjector } from './malformed-injector.ts';
import { faultCheck } from './fault-check.ts';
import { FaultSchedule, type AppliedFault } from './fault-schedule.ts';
import { createRunDir } from './run-dir.ts';
import { StatusLine } from './status-line.ts';

export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 30;
/** A healed system reconnects within a few seconds (backoff caps at 2 s); one that has not after this will not. */
const RECOVERY_TIMEOUT_SECONDS = 30;
const CHANNEL_SAMPLE_MS = 2_000;
/** Load goes on at least this long after the last fault healed, so recovery happens under load. */
export const DEFAULT_AFTER_HEAL_SECONDS = 10;
/** Extra load time allowed beyond the plan for heals that take longer than scheduled (a broker boot). */
const HEAL_OVERRUN_SECONDS = 60;
/** After the API stopped, how long the workers may take to consume what it published last. */
const SETTLE_TIMEOUT_SECONDS = 10;
/** Setup and teardown allowance on top of load, faults and drain before the watchdog gives up. */
const WATCHDOG_SLACK_SECONDS = 240;
/** Mixed into the run's seed so fault randomness differs from the order bodies drawn from the same seed. */
const FAULT_SEED_SALT = 0x5eed;

export interface RunRequest {
  scenario: ScenarioDefinition;
  options: ScenarioOptions;
  runsRoot: string;
  /** Leave everything running after the verdict until `signal` aborts (Ctrl-C). */
  keep?: boolean;
  drainTimeoutSeconds?: number;
  /** After the checks, run every Grafana dashboard query against the run's Prometheus: any error or empty result fails the run. */
  checkDashboards?: boolean;
  /** Aborting interrupts the run: faults are healed, everything started is stopped, exit code 2. */
  signal: AbortSignal;
  status?: StatusLine;
}

export interface PhaseRecord {
  name: string;
  seconds: number;
}

export interface RunResults {
  scenario: string;
  proves: string;
  runDir: string;
  startedAt: string;
  finishedAt: string;
  options: ScenarioOptions;
  system: SystemSpec;
  faults: { name: string; at: number; duration: number; description: string }[];
  /** What each fault actually did and when (seconds since the load began); judged by the `faults` check. */
  appliedFaults?: AppliedFault[];
  phases: PhaseRecord[];
  load?: ClientLoadSummary;
  /** Whether the API reported its broker connection again after the faults healed, and how long that took. */
  recovery?: { recovered: boolean; seconds: number };
  /** Seconds of load after the last fault healed. */
  loadAfterHealSeconds?: number;
  /** The read-back of every queue after the drain, with the system's consumers stopped. */
  finalRead?: FinalReadSummary;
  drain?: { drained: boolean; seconds: number; stalled: boolean; pending: { orders: number; messages: number } };
  /** The drain after the API stopped, before the workers stop for the final read. */
  settle?: { drained: boolean; seconds: number; stalled: boolean; pending: { orders: number; messages: number } };
  valid: Validity;
  exitCode: 0 | 1 | 2;
  checks: Record<string, CheckResult>;
  /** What the broker still held per queue when the run was judged. */
  brokerQueues?: { name: string; ready: number; unacked: number; consumers: number }[];
  interrupted?: string;
  error?: string;
  endpoints?: Record<string, string>;
}

/**
 * Drives one scenario through the phases every scenario shares:
 * setup -> load + faults -> heal -> recover -> drain -> check -> store, and tears down everything
 * it started on every path out (verdict, error, timeout, interrupt).
 */
export async function runScenario(request: RunRequest): Promise<RunResults> {
  const { scenario, options } = request;
  const status = request.status ?? new StatusLine();
  const runDir = createRunDir(request.runsRoot, scenario.name);
  const startedAt = new Date();
  const t0 = performance.now();
  const phases: PhaseRecord[] = [];
  const spec: SystemSpec = { ...DEFAULT_SYSTEM_SPEC, ...scenario.system, flaws: options.flaws };
  const schedule = scenario.faults(options);
  const drainTimeout = request.drainTimeoutSeconds ?? scenario.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT_SECONDS;
  const results: RunResults = {
    scenario: scenario.name,
    proves: scenario.proves,
    runDir,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    options,
    system: spec,
    faults: schedule.map((f) => ({ name: f.fault.name, at: f.at, duration: f.duration, description: f.fault.description })),
    phases,
    valid: 'unknown',
    exitCode: 2,
    checks: {},
  };

  // One controller for everything: an interrupt from outside or the watchdog both land here.
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(request.signal.reason ?? 'interrupted');
  request.signal.addEventListener('abort', onOuterAbort, { once: true });
  const lastFault = Math.max(0, ...schedule.map((f) => f.at + f.duration));
  const afterHeal = options.afterHeal ?? DEFAULT_AFTER_HEAL_SECONDS;
  const recoveryBound = scenario.recoveryBound ?? DEFAULT_RECOVERY_BOUND_SECONDS;
  // With faults, the load runs until the system has shown it recovered (or the bound ran out) after the last heal; this caps it.
  const maxLoadSeconds = schedule.length === 0 ? options.duration : Math.max(options.duration, lastFault + afterHeal + recoveryBound + HEAL_OVERRUN_SECONDS);
  const watchdog = setTimeout(() => abort.abort('timeout: the run exceeded its time budget'), (maxLoadSeconds + drainTimeout + RECOVERY_TIMEOUT_SECONDS + WATCHDOG_SLACK_SECONDS) * 1000);

  let phaseName = 'setup';
  let phaseStart = performance.now();
  const phase = (name: string) => {
    phases.push({ name: phaseName, seconds: round((performance.now() - phaseStart) / 1000) });
    phaseName = name;
    phaseStart = performance.now();
  };
  const elapsed = () => (performance.now() - t0) / 1000;
  const throwIfAborted = () => {
    if (abort.signal.aborted) throw new RunInterruptedError(String(abort.signal.reason));
  };

  // Every PID this run starts, as it starts it: lets a person (or a test) check nothing outlived the run.
  const stopRecordingChildren = recordChildren(join(runDir, 'processes.jsonl'));
  const harnessHistory = new HistoryWriter(join(runDir, 'history', 'harness.jsonl'), 'harness');
  let broker: StartedRabbitNode | null = null;
  let proxies: StartedProxyEnv | null = null;
  let system: StartedOrderSystem | null = null;
  let harnessMetrics: StartedHarnessMetrics | null = null;
  let prometheus: RunPrometheus | null = null;
  let faults: FaultSchedule | null = null;

  status.log(`run ${scenario.name}: rate ${options.rate}/s for ${options.duration}s, seed ${options.seed}, flaws ${options.flaws.length ? options.flaws.join(',') : 'none'}`);
  status.log(`run directory: ${runDir}`);
  for (const f of schedule) status.log(`fault schedule: ${f.fault.name} at ${f.at}s for ${f.duration}s: ${f.fault.description}`);
  try {
    status.update({ phase: 'setup', elapsedSeconds: elapsed(), faults: [], note: 'starting broker' });
    broker = await StartedRabbitNode.start({ dir: join(runDir, 'broker') });
    throwIfAborted();
    status.update({ phase: 'setup', elapsedSeconds: elapsed(), faults: [], note: 'starting proxy' });
    // Every AMQP connection of the system goes through the proxy: producer side and consumer side separately.
    const node = broker;
    proxies = await StartedProxyEnv.start({ brokerHost: node.host, brokerPort: node.amqpPort, logFile: join(runDir, 'logs', 'toxiproxy.log') });
    throwIfAborted();
    status.update({ phase: 'setup', elapsedSeconds: elapsed(), faults: [], note: 'starting system' });
    system = await StartedOrderSystem.start(runDir, proxies.endpoints((host, port) => node.amqpUrl(host, port)), spec);
    throwIfAborted();
    harnessMetrics = await StartedHarnessMetrics.start();
    harnessMetrics.setRunInfo(scenario.name);
    harnessMetrics.declareFaults(schedule.map((f) => f.fault.name));
    harnessMetrics.setTargetRate(options.rate);
    prometheus = await startRunPrometheus(join(runDir, 'prometheus'), runScrapeTargets({ broker, system, harness: harnessMetrics }), (m) => status.log(m));
    throwIfAborted();
    results.endpoints = {
      apiUrl: system.apiUrl,
      ...(prometheus ? { prometheusUrl: prometheus.url, prometheusRemoteWriteUrl: prometheus.remoteWriteUrl } : {}),
      harnessMetricsUrl: harnessMetrics.url,
      amqpUrl: broker.amqpUrl(),
      toxiproxyUrl: proxies.url,
      managementUrl: broker.managementUrl,
      brokerPrometheusUrl: broker.prometheusUrl,
    };
    // endpoints.json is for the person at the keyboard (it holds the broker password): owner-only. results.json gets them redacted.
    writeFileSync(join(runDir, 'endpoints.json'), JSON.stringify(results.endpoints, null, 2) + '\n', { mode: 0o600 });

    phase('load');
    const inspector = new BrokerInspector(broker.managementUrl, broker.user, broker.password);
    const channelSamples: ChannelState[] = [];
    let sampling = false;
    const faultEnv: FaultEnv = {
      broker,
      proxies: proxies.proxies,
      processes: processControlFor(system),
      random: seededRandom(options.seed ^ FAULT_SEED_SALT),
      log: (m) => status.log(m),
    };
    faults = new FaultSchedule(schedule, faultEnv, harnessHistory);
    const tail = new HistoryTail(join(runDir, 'history'));
    const ledger = new DeliveryLedger();
    // Every event read, kept for the checkers that replay the whole history (acks, prefetch, dead letters).
    const events: HistoryEvent[] = [];
    const readHistory = () => {
      const fresh = tail.readNew();
      for (const e of fresh) events.push(e);
      ledger.ingest(fresh);
    };
    const load = startClientLoad(
      { apiUrl: system.apiUrl, rate: options.rate, durationSeconds: maxLoadSeconds, seed: options.seed, historyFile: join(runDir, 'history', 'client.jsonl'), clientRetries: options.clientRetries, ...(scenario.workload?.mix ? { mix: scenario.workload.mix } : {}) },
      abort.signal,
    );
    const injector = scenario.workload?.inject === 'malformed' ? startMalformedInjector({ amqpUrl: node.amqpUrl(), historyFile: join(runDir, 'history', 'injector.jsonl'), durationSeconds: options.duration, log: (m) => status.log(m) }, abort.signal) : undefined;
    faults.begin();
    const loadStarted = performance.now();
    let faultsHealedAt: number | null = schedule.length === 0 ? loadStarted : null;
    void faults.finished().then(() => (faultsHealedAt ??= performance.now()));
    let loadStopping = false;
    /**
     * Ends the load once its duration is over, every fault has healed, `afterHeal` seconds of load
     * followed the last heal, and the system accepts its full rate again (or the recovery bound ran out).
     */
    const maybeStopLoad = () => {
      if (loadStopping || faultsHealedAt === null || schedule.length === 0) return;
      const now = performance.now();
      if ((now - loadStarted) / 1000 < options.duration) return;
      const sinceHeal = (now - faultsHealedAt) / 1000;
      if (sinceHeal < afterHeal) return;
      const recovered = recoveryCheck(events, { targetRate: options.rate, boundSeconds: recoveryBound }).valid === true;
      if (recovered || sinceHeal >= recoveryBound + 2) {
        loadStopping = true;
        load.stop();
      }
    };
    const metrics = harnessMetrics;
    metrics.trackLoad(() => load.stats());
    // The broker's own per-channel figures (prefetch, unacked), sampled while the run goes on.
    const sampler = setInterval(() => {
      if (sampling || !node.running) return;
      sampling = true;
      inspector
        .channels()
        .then((rows) => channelSamples.push(...rows.filter((r) => r.consumerCount > 0)))
        .catch(() => {})
        .finally(() => (sampling = false));
    }, CHANNEL_SAMPLE_MS);
    const ticker = setInterval(() => {
      readHistory();
      maybeStopLoad();
      metrics.syncFaults(faults?.active ?? []);
      const stats = load.stats();
      status.update({ phase: phaseName, elapsedSeconds: elapsed(), targetRate: options.rate, achievedRate: stats.currentRate, accepted: load.accepted(), completed: ledger.terminalOrders, faults: faults?.active ?? [] });
    }, 1000);
    try {
      results.load = await load.done;
      if (faultsHealedAt !== null && schedule.length > 0) results.loadAfterHealSeconds = round((performance.now() - faultsHealedAt) / 1000);
      await injector?.done;
      throwIfAborted();

      phase('heal');
      await Promise.race([faults.finished(), abortPromise(abort.signal)]);
      await faults.healAll();
      throwIfAborted();

      phase('recover');
      results.recovery = await waitForRecovery(system, abort.signal);
      if (!results.recovery.recovered) status.log(`the API did not report a broker connection within ${RECOVERY_TIMEOUT_SECONDS} s of healing; draining anyway`);
      throwIfAborted();

      phase('drain');
      results.drain = await drain(readHistory, ledger, drainTimeout, abort.signal);
      throwIfAborted();

      // Jepsen's final read: with the system's consumers stopped, every message still in a queue is read back by id.
      phase('final-read');
      status.update({ phase: 'final-read', elapsedSeconds: elapsed(), faults: [] });
      // The edge first: an API still working through a backlog may publish after the drain; the workers then get
      // to consume that (a short second drain) before they stop, or its messages would read back as stuck.
      await system.api.stop();
      readHistory();
      results.settle = await drain(readHistory, ledger, SETTLE_TIMEOUT_SECONDS, abort.signal);
      await Promise.all(system.workers.map((p) => p.stop()));
      const listed = await inspector.queues().catch(() => []);
      results.finalRead = await finalRead(node.amqpUrl(), queuesToRead(listed.map((q) => q.name)), harnessHistory);
      if (!results.finalRead.complete) status.log(`final read incomplete: ${results.finalRead.error}`);
      readHistory();
      // The system's processes have stopped writing: a line still without its newline was torn by a kill.
      const late = tail.finish();
      events.push(...late);
      ledger.ingest(late);
    } finally {
      clearInterval(ticker);
      clearInterval(sampler);
    }

    phase('check');
    status.update({ phase: 'check', elapsedSeconds: elapsed(), faults: [] });
    readHistory();
    events.sort((a, b) => a.t - b.t);
    const checks = scenarioChecks(scenario, options);
    const queues = await inspector.queues().catch(() => undefined);
    results.brokerQueues = queues;
    const brokerFigures = { channelSamples, ...(queues ? { queues } : {}) };
    writeFileSync(join(runDir, 'broker-figures.json'), JSON.stringify(brokerFigures) + '\n');
    const verdict = await runCheckers(checkersFor(checks), {
      runDir,
      dataDir: system.dataDir,
      target: 'reference',
      topology: REFERENCE_TOPOLOGY,
      events,
      ledger,
      system: { ...spec },
      broker: brokerFigures,
      clientRetries: options.clientRetries ?? DEFAULT_CLIENT_RETRIES,
      ...(results.finalRead ? { finalRead: results.finalRead } : {}),
    });
    results.checks = verdict.results;
    results.appliedFaults = faults.applied();
    if (schedule.length > 0) results.checks['faults'] = faultCheck(results.appliedFaults);
    if (schedule.length > 0) results.checks['recovery'] = recoveryCheck(events, { targetRate: options.rate, boundSeconds: recoveryBound });
    results.checks['load'] = loadCheck(results.load);
    harnessMetrics.syncFaults([]);
    harnessMetrics.setCheckResults(verdict.results);
    const historyCheck = malformedHistoryCheck(tail.malformedLines);
    if (historyCheck) results.checks['history'] = historyCheck;
    if (request.checkDashboards) results.checks['dashboards'] = await dashboardCheck(prometheus, startedAt);
    results.valid = mergeValidity(Object.values(results.checks).map((c) => c.valid));
    results.exitCode = exitCodeFor(results.valid);
    phase('store');
  } catch (err) {
    results.valid = 'unknown';
    results.exitCode = 2;
    if (err instanceof RunInterruptedError) results.interrupted = err.message;
    else results.error = (err as Error).stack ?? String(err);
  } finally {
    clearTimeout(watchdog);
    status.clear();
    results.finishedAt = new Date().toISOString();
    writeResults(runDir, results);
    if (request.keep && !abort.signal.aborted && system && broker) {
      // The final read stopped the system's processes; --keep promises a running system.
      for (const p of system.processes) if (!p.running) await p.start().catch((err: Error) => status.log(`could not restart ${p.instance}: ${err.message}`));
      status.log(renderVerdict(results.checks, results.valid, results.exitCode));
      status.log(`--keep: leaving the system, proxy, broker and Prometheus running. API ${system.apiUrl}  toxiproxy ${proxies?.url}  prometheus ${prometheus?.url ?? '(none)'}  management ${broker.managementUrl} (user ${broker.user}, password ${broker.password})  broker metrics ${broker.prometheusUrl}`);
      status.log('press Ctrl-C to stop everything');
      await abortPromise(abort.signal).catch(() => {});
    }
    await faults?.healAll().catch(() => {});
    await proxies?.resetAll().catch(() => {});
    await system?.stop().catch(() => {});
    await proxies?.stop().catch(() => {});
    await broker?.dispose().catch(() => {});
    await prometheus?.stop().catch(() => {});
    await harnessMetrics?.stop().catch(() => {});
    harnessHistory.close();
    stopRecordingChildren();
    request.signal.removeEventListener('abort', onOuterAbort);
  }
  return results;
}

export class RunInterruptedError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RunInterruptedError';
  }
}

/** results.json is shared and archived by CI: secrets in URLs (the broker password) are redacted. */
function writeResults(runDir: string, results: RunResults): void {
  const endpoints = results.endpoints ? Object.fromEntries(Object.entries(results.endpoints).map(([k, v]) => [k, redactUrl(v)])) : undefined;
  writeFileSync(join(runDir, 'results.json'), JSON.stringify({ ...results, ...(endpoints ? { endpoints } : {}) }, null, 2) + '\n');
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** Every queue of the declared topology (work, retry delay, dead letter) and any other the broker lists. */
function queuesToRead(listed: readonly string[]): string[] {
  const declared = [...WORK_QUEUES.flatMap((q) => [q, ...RETRY_DELAYS_MS.map((_, k) => retryQueue(q, k + 1))]), QUEUES.deadLetter];
  return [...new Set([...declared, ...listed])];
}

/** The run's Prometheus; a machine without one still runs scenarios, just without recorded metrics. */
async function startRunPrometheus(dir: string, targets: Parameters<typeof startPrometheus>[0]['targets'], log: (m: string) => void): Promise<RunPrometheus | null> {
  try {
    return await startPrometheus({ dir, targets });
  } catch (err) {
    if (!(err instanceof PrometheusNotInstalledError)) throw err;
    log(`no metrics recorded for this run: ${err.message}`);
    return null;
  }
}

/** Every Grafana panel query must return data for this run: a dashboard that shows nothing is broken. */
async function dashboardCheck(prometheus: RunPrometheus | null, startedAt: Date): Promise<CheckResult> {
  if (!prometheus) return { valid: 'unknown', summary: 'no Prometheus: dashboards not checked' };
  await prometheus.waitForScrapes({ after: new Date(), jobs: [SCRAPE_JOBS.harness] });
  // A range query is evaluated at start + k*step; end a little in the future so the newest samples (the checks' own) fall inside.
  const checks = await checkDashboards(prometheus, { start: startedAt, end: new Date(Date.now() + 2_000), stepSeconds: 1 });
  const failing = checks.filter((c) => c.status !== 'ok');
  return {
    valid: failing.length === 0,
    summary: failing.length === 0 ? `all ${checks.length} dashboard queries returned data` : `${failing.length} of ${checks.length} dashboard queries failed: ${describeFailures(failing)}`,
    queries: checks.length,
    failing: failing.map((c) => ({ dashboard: c.dashboard, name: c.name, promql: c.promql, status: c.status, ...(c.error ? { error: c.error } : {}) })),
  };
}

/** After healing, the system must be serving again: the API connected to the broker. */
async function waitForRecovery(system: StartedOrderSystem, signal: AbortSignal): Promise<{ recovered: boolean; seconds: number }> {
  const started = performance.now();
  const seconds = () => Math.round((performance.now() - started) / 100) / 10;
  while (performance.now() - started < RECOVERY_TIMEOUT_SECONDS * 1000 && !signal.aborted) {
    try {
      const response = await fetch(`${system.apiUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return { recovered: true, seconds: seconds() };
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { recovered: false, seconds: seconds() };
}

/** Rejects when the signal aborts; never an unhandled rejection if nobody is waiting any more. */
function abortPromise(signal: AbortSignal): Promise<never> {
  const promise = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(new RunInterruptedError(String(signal.reason)));
    signal.addEventListener('abort', () => reject(new RunInterruptedError(String(signal.reason))), { once: true });
  });
  promise.catch(() => {});
  return promise;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
