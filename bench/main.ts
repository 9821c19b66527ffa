import { writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { BrokerInspector } from '../harness/env/broker-inspector.ts';
import { interruptOnSignals, rabbitMqAvailable, runMain } from '../harness/cli/process-guards.ts';
import { REPO_ROOT } from '../harness/env/repo-root.ts';
import { createRunDir } from '../harness/runner/run-dir.ts';
import { UsageError } from '../load/usage-error.ts';
import { StatusLine } from '../harness/runner/status-line.ts';
import { BenchEnv, BenchInterruptedError } from './bench-env.ts';
import { parseBenchArgs, USAGE, WARMUP_SEED_OFFSET, type BenchOptions } from './bench-options.ts';
import { renderQueueTable, renderStepTable, renderSummary } from './bench-report.ts';
import { summarize, type BaselineResult, type BenchSummary, type StepRecord } from './bench-result.ts';
import { RateSearch } from './rate-search.ts';
import { brokerIdentity, runRawBaseline } from './raw-baseline.ts';
import { runOrderStep } from './order-step.ts';

// `npm run bench`: what is the highest order rate the reference system sustains on this machine,
// and how does that compare with what the broker can do raw?

/** Settling before and draining after a step's load: the first step's guess, before any was measured. */
const STEP_OVERHEAD_GUESS_SECONDS = 6;

interface MachineInfo {
  cpus: number;
  cpuModel: string;
  totalMemoryBytes: number;
  node: string;
  os: string;
  /** 1/5/15-minute load averages: other work on the machine skews every figure. */
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  rabbitmq?: { product: string; version: string; platform: string };
}

interface BenchReport {
  question: string;
  startedAt: string;
  finishedAt?: string;
  durationSeconds?: number;
  runDir: string;
  options: BenchOptions;
  machine: MachineInfo;
  /** The reference target's settings (its defaults), known once it started. */
  system?: Record<string, unknown>;
  baselines: BaselineResult[];
  /** Unjudged, not part of the search. */
  warmup?: StepRecord;
  steps: StepRecord[];
  summary?: BenchSummary;
  interrupted?: string;
  error?: string;
}

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseBenchArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (!rabbitMqAvailable()) return 2;

  const status = new StatusLine();
  const log = (message: string) => status.log(message);
  const interrupt = interruptOnSignals(log, 'stopping the load and everything this benchmark started');
  const signal = interrupt;
  const throwIfAborted = () => {
    if (signal.aborted) throw new BenchInterruptedError(String(signal.reason));
  };

  const runDir = createRunDir(process.env.HARNESS_RUNS_DIR ?? join(REPO_ROOT, 'runs'), 'bench');
  const t0 = performance.now();
  const report: BenchReport = {
    question: 'highest order rate the reference system sustains here, against raw confirmed publishing on the same broker',
    startedAt: new Date().toISOString(),
    runDir,
    options,
    machine: machineInfo(),
    baselines: [],
    steps: [],
  };
  log(`bench: run directory ${runDir}`);
  log(`machine: ${report.machine.cpus} cpus, node ${report.machine.node}, load average ${report.machine.loadAverageAtStart.join(' ')}`);
  let stopReason: BenchSummary['stopReason'] = 'error';
  let sustained: number | null = null;
  const env = new BenchEnv(runDir);
  try {
    const { broker, proxies, system } = await env.start(signal, log, { settings: options.settings, throughProxy: options.throughProxy });
    report.system = system.settings;
    log(`system settings: ${JSON.stringify(system.settings)}`);
    report.machine.rabbitmq = await brokerIdentity(broker.amqpUrl());
    log(
      `broker: ${report.machine.rabbitmq.product} ${report.machine.rabbitmq.version} ` +
        `(${report.machine.rabbitmq.platform}); system api ${system.apiUrl}`,
    );

    const baselineRoutes = [
      { route: 'direct' as const, url: broker.amqpUrl() },
      ...(options.proxyBaseline ? [{ route: 'proxy' as const, url: broker.amqpUrl(proxies.producer.host, proxies.producer.port) }] : []),
    ];
    for (const { route, url } of baselineRoutes) {
      log(`raw baseline (${route}): ${options.baselineSeconds} s of persistent publishes with confirms, window ${options.confirmWindow}`);
      const result = await runRawBaseline({ url, route, seconds: options.baselineSeconds, window: options.confirmWindow, signal });
      report.baselines.push(result);
      log(
        `raw baseline (${route}): ${result.ratePerSecond.toFixed(0)} msg/s ` +
          `(${result.confirmed} confirmed, ${result.nacked} nacked, ${result.seconds.toFixed(1)} s)`,
      );
      throwIfAborted();
    }

    const inspector = new BrokerInspector(broker.managementUrl, broker.user, broker.password);
    const stepRequest = {
      stepSeconds: options.stepSeconds,
      drainSeconds: options.drainSeconds,
      p99BoundMs: options.p99Ms,
      maxBacklogSeconds: options.maxBacklogSeconds,
      system,
      inspector,
      signal,
      status,
      cpuSubjects: () => env.cpuSubjects(),
      management: { url: broker.managementUrl, user: broker.user, password: broker.password },
    };
    if (options.warmupSeconds > 0) {
      log(`warm-up (not judged): ${options.startRate} orders/s for ${options.warmupSeconds} s`);
      const warmup = await runOrderStep({
        ...stepRequest,
        index: 0,
        rate: options.startRate,
        phase: 'warmup',
        seed: options.seed + WARMUP_SEED_OFFSET,
        settleFirst: false,
        stepSeconds: options.warmupSeconds,
      });
      report.warmup = warmup;
      throwIfAborted();
      log(`warm-up: ${describeStep(warmup)}`);
    }
    const search = new RateSearch({
      startRate: options.startRate,
      maxRate: options.maxRate,
      tolerance: options.tolerance,
      maxSteps: options.maxSteps,
      timeBudgetSeconds: options.searchSeconds,
    });
    const searchStart = performance.now();
    for (let index = 1; ; index++) {
      const decision = search.next((performance.now() - searchStart) / 1000, options.stepSeconds + STEP_OVERHEAD_GUESS_SECONDS);
      if (decision.kind === 'done') {
        stopReason = decision.reason;
        break;
      }
      log(`step ${index} (${decision.phase}): ${decision.rate} orders/s for ${options.stepSeconds} s`);
      const previous = report.steps.at(-1) ?? report.warmup;
      const step = await runOrderStep({
        ...stepRequest,
        index,
        rate: decision.rate,
        phase: decision.phase,
        seed: options.seed + index - 1,
        settleFirst: previous?.drain.drained === false,
      });
      report.steps.push(step);
      throwIfAborted();
      search.record({ rate: step.rate, passed: step.verdict.passed, seconds: step.seconds });
      log(`step ${index}: ${describeStep(step)}`);
    }
    sustained = search.bestPass;
  } catch (err) {
    if (err instanceof BenchInterruptedError || signal.aborted) {
      stopReason = 'interrupted';
      report.interrupted = String(signal.reason ?? (err as Error).message);
    } else report.error = (err as Error).stack ?? String(err);
  } finally {
    status.clear();
    report.summary = summarize(report.steps, sustained, report.baselines, stopReason);
    report.machine.loadAverageAtEnd = loadAverage();
    log('stopping the system, proxy and broker');
    await env.stop();
    report.finishedAt = new Date().toISOString();
    report.durationSeconds = Math.round((performance.now() - t0) / 100) / 10;
    writeFileSync(join(runDir, 'bench.json'), JSON.stringify(report, null, 2) + '\n');
  }

  const out: string[] = [''];
  if (report.steps.length) out.push(renderStepTable(report.steps), '');
  out.push(renderSummary(report.summary, report.baselines));
  const limitStep = report.steps.find((s) => s.index === report.summary?.limitingStage?.fromStep);
  if (limitStep)
    out.push(`queues during step ${limitStep.index} (${limitStep.rate}/s):`, renderQueueTable(limitStep.queues, limitStep.latency));
  if (report.system) out.push(`system settings: ${JSON.stringify(report.system)}`);
  out.push(
    `machine: ${report.machine.cpus} cpus (${report.machine.cpuModel}), node ${report.machine.node}, ` +
      `rabbitmq ${report.machine.rabbitmq?.version ?? '?'}; ` +
      `load average ${report.machine.loadAverageAtStart.join(' ')} at start, ${report.machine.loadAverageAtEnd?.join(' ')} at end`,
  );
  out.push(`took ${report.durationSeconds} s; results: ${join(runDir, 'bench.json')}`);
  process.stdout.write(out.join('\n') + '\n');
  if (report.interrupted) process.stderr.write(`bench interrupted: ${report.interrupted}\n`);
  if (report.error) process.stderr.write(`bench could not complete: ${report.error}\n`);
  if (report.interrupted || report.error) return 2;
  return sustained === null ? 1 : 0;
}

function describeStep(s: StepRecord): string {
  const f = s.figures;
  const p99 = f.p99Ms === null ? '-' : `${f.p99Ms.toFixed(0)} ms`;
  return (
    `achieved ${f.achieved.toFixed(1)}/s, p99 ${p99}, accepted ${f.accepted}, unfinished at load end ${f.backlogOrders}, ` +
    `lost ${f.lostOrders + f.lostMessages}, drain ${s.drain.seconds.toFixed(1)} s: ` +
    `${s.verdict.passed ? 'PASS' : `FAIL (${s.verdict.reasons.join('; ')})`}\n  limit: ${s.limit.summary}`
  );
}

function machineInfo(): MachineInfo {
  const cores = cpus();
  return {
    cpus: cores.length,
    cpuModel: cores[0]?.model.trim() ?? 'unknown',
    totalMemoryBytes: totalmem(),
    node: process.version,
    os: `${process.platform} ${release()}`,
    loadAverageAtStart: loadAverage(),
  };
}

function loadAverage(): number[] {
  return loadavg().map((n) => Math.round(n * 100) / 100);
}

runMain(() => main(process.argv.slice(2)));
