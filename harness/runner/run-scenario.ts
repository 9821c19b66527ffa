import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaultEnv } from '../../chaos/fault.ts';
import type { HistoryEvent } from '../../instrument/history-event.ts';
import { HistoryWriter } from '../../instrument/history-writer.ts';
import { seededRandom } from '../../load/seeded-random.ts';
import type { ScenarioDefinition, ScenarioOptions } from '../../scenarios/define-scenario.ts';
import type { CheckResult } from '../checkers/checker.ts';
import { DEFAULT_RECOVERY_BOUND_SECONDS } from '../checkers/recovery.ts';
import { processControlFor } from '../env/process-control.ts';
import type { RunPrometheus } from '../env/prometheus-server.ts';
import { describeFailures, describeSkipped, runDashboardCheck } from '../metrics/dashboard-queries.ts';
import { SCRAPE_JOBS } from '../metrics/run-targets.ts';
import { renderVerdict } from '../report/verdict-table.ts';
import { writeRunReport } from '../report/write-report.ts';
import type { Target } from '../target/target.ts';
import { FaultSchedule } from './fault-schedule.ts';
import { judge, readTargetRecords, verdictOf } from './judge.ts';
import { RECOVERY_TIMEOUT_SECONDS, runLoadPhase } from './load-phase.ts';
import { machineInfo } from './machine.ts';
import { Rig } from './rig.ts';
import { RunClock, RunInterruptedError } from './run-clock.ts';
import { createRunDir } from './run-dir.ts';
import { BROKER_FIGURES_FILE, PROCESSED_FILE, writeResults, type RunResults } from './run-results.ts';
import { StatusLine } from './status-line.ts';

export type { PhaseRecord, RunResults } from './run-results.ts';
export { redactUrl } from './run-results.ts';
export { RunInterruptedError } from './run-clock.ts';

export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 30;
/**
 * Load goes on at least this long after the last fault healed, so recovery happens under load (and
 * longer, up to the recovery bound, until the recovery check sees the target back at full rate:
 * load-phase.ts). The reference is back within ~1-2 s of a heal.
 */
export const DEFAULT_AFTER_HEAL_SECONDS = 5;
/** Extra load time allowed beyond the plan for heals that take longer than scheduled (a broker boot). */
const HEAL_OVERRUN_SECONDS = 60;
/** Setup and teardown allowance on top of load, faults and drain before the watchdog gives up. */
const WATCHDOG_SLACK_SECONDS = 240;
/** Mixed into the run's seed so fault randomness differs from the order bodies drawn from the same seed. */
const FAULT_SEED_SALT = 0x5eed;

export interface RunRequest {
  scenario: ScenarioDefinition;
  options: ScenarioOptions;
  /** The system under test (harness/target/load-target.ts). */
  target: Target;
  /** How the target was named on the command line (`reference` or a directory): stored so `npm run check` can load it again. */
  targetRef?: string;
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

/**
 * Drives one scenario on one target through the phases every scenario shares:
 * setup (rig.ts) -> load + faults -> heal -> recover -> drain -> final read (load-phase.ts) ->
 * check (judge.ts) -> store, and tears down everything it started on every path out (verdict,
 * error, timeout, interrupt).
 */
export async function runScenario(request: RunRequest): Promise<RunResults> {
  const { scenario, options, target } = request;
  const clock = new RunClock(request.status ?? new StatusLine());
  const status = clock.status;
  const runDir = createRunDir(request.runsRoot, scenario.name);
  const startedAt = new Date();
  const schedule = scenario.faults(options);
  const drainTimeout = request.drainTimeoutSeconds ?? scenario.drainTimeout ?? DEFAULT_DRAIN_TIMEOUT_SECONDS;
  const results: RunResults = {
    scenario: scenario.name,
    proves: scenario.proves,
    target: { name: target.name, ref: request.targetRef ?? target.name },
    runDir,
    startedAt: startedAt.toISOString(),
    finishedAt: '',
    machine: machineInfo(),
    options,
    system: { flaws: [...options.flaws] },
    faults: schedule.map((f) => ({ name: f.fault.name, at: f.at, duration: f.duration, description: f.fault.description })),
    phases: clock.phases,
    valid: 'unknown',
    exitCode: 2,
    checks: {},
  };

  const onOuterAbort = () => clock.abort(String(request.signal.reason ?? 'interrupted'));
  request.signal.addEventListener('abort', onOuterAbort, { once: true });
  if (request.signal.aborted) onOuterAbort();
  const lastFault = Math.max(0, ...schedule.map((f) => f.at + f.duration));
  const afterHeal = options.afterHeal ?? scenario.defaults.afterHeal ?? DEFAULT_AFTER_HEAL_SECONDS;
  const recoveryBound = scenario.recoveryBound ?? DEFAULT_RECOVERY_BOUND_SECONDS;
  // With faults, the load runs until the target has shown it recovered (or the bound ran out) after the last heal; this caps it.
  const maxLoadSeconds =
    schedule.length === 0 ? options.duration : Math.max(options.duration, lastFault + afterHeal + recoveryBound + HEAL_OVERRUN_SECONDS);
  const watchdog = setTimeout(
    () => clock.abort('timeout: the run exceeded its time budget'),
    (maxLoadSeconds + drainTimeout + RECOVERY_TIMEOUT_SECONDS + WATCHDOG_SLACK_SECONDS) * 1000,
  );

  const harnessHistory = new HistoryWriter(join(runDir, 'history', 'harness.jsonl'), 'harness');
  let rig: Rig | null = null;
  let faults: FaultSchedule | null = null;
  let events: HistoryEvent[] | undefined;

  status.log(
    `run ${scenario.name} on ${target.name}: rate ${options.rate}/s for ${options.duration}s, seed ${options.seed}, ` +
      `flaws ${options.flaws.length ? options.flaws.join(',') : 'none'}`,
  );
  status.log(`run directory: ${runDir}`);
  if (options.cluster !== undefined)
    status.log(`broker: a cluster of ${options.cluster} RabbitMQ nodes, each in its own network namespace`);
  for (const f of schedule) status.log(`fault schedule: ${f.fault.name} at ${f.at}s for ${f.duration}s: ${f.fault.description}`);
  try {
    const settings = target.resolveSettings ? target.resolveSettings(scenario.settings ?? {}) : { ...scenario.settings };
    results.system = { ...settings, flaws: [...options.flaws] };
    rig = new Rig({
      runDir,
      target,
      flaws: options.flaws,
      settings,
      ...(options.cluster !== undefined ? { cluster: options.cluster } : {}),
      metrics: { scenario: scenario.name, faults: schedule.map((f) => f.fault.name), rate: options.rate },
      log: clock.log,
      throwIfAborted: () => clock.throwIfAborted(),
    });
    results.rigSteps = rig.steps;
    await rig.start((note) => status.update({ phase: 'setup', elapsedSeconds: clock.elapsed(), faults: [], note }));
    results.endpoints = rig.endpoints();
    if (rig.cluster)
      results.cluster = {
        nodes: rig.cluster.nodes.map((n) => n.nodeName),
        formationSeconds: rig.cluster.formationSeconds,
        partitionHandling: rig.cluster.partitionHandling,
      };
    // endpoints.json is for the person at the keyboard (it holds the broker password): owner-only. results.json gets them redacted.
    writeFileSync(join(runDir, 'endpoints.json'), JSON.stringify(results.endpoints, null, 2) + '\n', { mode: 0o600 });

    const faultEnv: FaultEnv = {
      broker: rig.broker!,
      ...(rig.cluster ? { cluster: rig.cluster.control() } : {}),
      proxies: rig.proxies!.proxies,
      processes: processControlFor(rig.processes!),
      random: seededRandom(options.seed ^ FAULT_SEED_SALT),
      log: clock.log,
    };
    faults = new FaultSchedule(schedule, faultEnv, harnessHistory);
    const loaded = await runLoadPhase(
      {
        rig,
        target,
        scenario,
        options,
        schedule,
        faults,
        harnessHistory,
        maxLoadSeconds,
        afterHealSeconds: afterHeal,
        recoveryBoundSeconds: recoveryBound,
        drainTimeoutSeconds: drainTimeout,
        clock,
      },
      results,
    );

    clock.phase('check');
    status.update({ phase: 'check', elapsedSeconds: clock.elapsed(), faults: [] });
    loaded.readHistory();
    loaded.events.sort((a, b) => a.t - b.t);
    events = loaded.events;
    const queues = await loaded.inspector.queues().catch(() => undefined);
    results.brokerQueues = queues;
    const brokerFigures = { channelSamples: loaded.channelSamples, ...(queues ? { queues } : {}) };
    writeFileSync(join(runDir, BROKER_FIGURES_FILE), JSON.stringify(brokerFigures) + '\n');
    const records = await readTargetRecords(rig.started!, clock.log);
    if (records.processed) writeFileSync(join(runDir, PROCESSED_FILE), JSON.stringify(records.processed) + '\n');
    results.appliedFaults = faults.applied();
    const verdict = await judge({
      runDir,
      target,
      scenario,
      options,
      settings: results.system,
      events: loaded.events,
      ledger: loaded.ledger,
      malformedLines: loaded.tail.malformedLines,
      ...records,
      broker: brokerFigures,
      ...(results.finalRead ? { finalRead: results.finalRead } : {}),
      ...(schedule.length > 0 ? { appliedFaults: results.appliedFaults } : {}),
      ...(results.load ? { load: results.load } : {}),
    });
    rig.harnessMetrics?.syncFaults([]);
    rig.harnessMetrics?.setCheckResults(verdict.checks);
    if (request.checkDashboards) verdict.checks['dashboards'] = await dashboardCheck(rig.prometheus, startedAt);
    const final = verdictOf(verdict.checks);
    results.checks = final.checks;
    results.valid = final.valid;
    results.exitCode = final.exitCode;
    clock.phase('store');
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
    writeReport(runDir, results, events, clock.log);
    if (request.keep && !clock.signal.aborted && rig?.processes && rig.broker) await keepRunning(rig, results, clock);
    await faults?.healAll().catch(() => {});
    await rig?.stop();
    harnessHistory.close();
    request.signal.removeEventListener('abort', onOuterAbort);
  }
  return results;
}

/** report.html beside results.json; a report that cannot be drawn is said, and never changes the verdict. */
function writeReport(runDir: string, results: RunResults, events: HistoryEvent[] | undefined, log: (m: string) => void): void {
  try {
    const report = writeRunReport(runDir, events ? { results, events } : undefined);
    log(`report: ${report.path} (${(report.bytes / 1024).toFixed(0)} KiB in ${report.seconds.toFixed(2)} s)`);
  } catch (err) {
    log(`report could not be written: ${(err as Error).stack ?? String(err)}`);
  }
}

/** --keep: the final read stopped the target's processes, and --keep promises a running system until Ctrl-C. */
async function keepRunning(rig: Rig, results: RunResults, clock: RunClock): Promise<void> {
  for (const p of rig.processes!.processes)
    if (!p.running) await p.start().catch((err: Error) => clock.log(`could not restart ${p.instance}: ${err.message}`));
  const broker = rig.broker!;
  clock.log(renderVerdict(results.checks, results.valid, results.exitCode));
  clock.log(
    `--keep: leaving the target, proxy, broker and Prometheus running. API ${rig.started?.apiUrl}  ` +
      `toxiproxy ${rig.proxies?.url}  prometheus ${rig.prometheus?.url ?? '(none)'}  ` +
      `management ${broker.managementUrl} (user ${broker.user}, password ${broker.password})  ` +
      `broker metrics ${broker.prometheusUrl}`,
  );
  clock.log('press Ctrl-C to stop everything');
  await clock.aborted().catch(() => {});
}

/** Every Grafana panel query must return data for this run: a dashboard that shows nothing is broken. */
async function dashboardCheck(prometheus: RunPrometheus | null, startedAt: Date): Promise<CheckResult> {
  if (!prometheus) return { valid: 'unknown', summary: 'no Prometheus: dashboards not checked' };
  await prometheus.waitForScrapes({ after: new Date(), jobs: [SCRAPE_JOBS.harness] });
  // A range query is evaluated at start + k*step; end a little in the future so the newest samples (the checks' own) fall inside.
  const { checks, skipped } = await runDashboardCheck(prometheus, {
    start: startedAt,
    end: new Date(Date.now() + 2_000),
    stepSeconds: 1,
  });
  const failing = checks.filter((c) => c.status !== 'ok');
  const skippedNote = skipped.length ? `; ${describeSkipped(skipped).replace(/\n/g, '; ')}` : '';
  return {
    valid: failing.length === 0,
    summary:
      (failing.length === 0
        ? `all ${checks.length} dashboard queries returned data`
        : `${failing.length} of ${checks.length} dashboard queries failed: ${describeFailures(failing)}`) + skippedNote,
    queries: checks.length,
    skipped: skipped.map((q) => ({ dashboard: q.dashboard, name: q.name, reason: q.reason })),
    failing: failing.map((c) => ({
      dashboard: c.dashboard,
      name: c.name,
      promql: c.promql,
      status: c.status,
      ...(c.error ? { error: c.error } : {}),
    })),
  };
}
