import { join } from 'node:path';
import { DeliveryLedger } from '../harness/checkers/delivery-ledger.ts';
import type { BrokerInspector } from '../harness/env/broker-inspector.ts';
import type { BenchSystem } from './bench-env.ts';
import { HistoryTail } from '../harness/history/read-history.ts';
import { startClientLoad } from '../harness/runner/client-load.ts';
import { drain } from '../harness/runner/drain.ts';
import type { StatusLine } from '../harness/runner/status-line.ts';
import type { StepRecord } from './bench-result.ts';
import { belongsToStep, brokerRates, loadWindowSeconds, MessageCounter, orderIdPrefix } from './broker-rates.ts';
import { judgeStep, stepFigures } from './step-verdict.ts';
import { cpuBetween, takeCpuSnapshot, type CpuSubject } from './cpu-usage.ts';
import { DeliverLatency } from './deliver-latency.ts';
import { limitingStage } from './limiting-stage.ts';
import { queueLoads, readQueueSamples, type QueueSample } from './queue-sampler.ts';

const READ_EVERY_MS = 1_000;
/** Management figures refresh every second: the queues must read empty twice running. */
const SETTLE_POLL_MS = 1_000;
const SETTLE_EMPTY_READS = 2;
const SETTLE_TIMEOUT_MS = 60_000;

export interface OrderStepRequest {
  index: number;
  rate: number;
  phase: 'warmup' | 'ramp' | 'bisect';
  seed: number;
  /** Wait for the broker's queues to empty first: the previous step did not drain. */
  settleFirst: boolean;
  stepSeconds: number;
  drainSeconds: number;
  p99BoundMs: number;
  maxBacklogSeconds: number;
  system: BenchSystem;
  inspector: BrokerInspector;
  signal: AbortSignal;
  status: StatusLine;
  /** Every process whose CPU counts, read again at each step (a restarted process has a new PID). */
  cpuSubjects: () => CpuSubject[];
  /** The broker's management API, for per-queue depth and consumer slots. */
  management: { url: string; user: string; password: string };
}

/**
 * One step of steady load against the running system, judged on its own orders only: the step's
 * orders carry their own seed in their ids, its client writes its own history file, and a fresh
 * ledger reads only what the histories gained after the previous step had drained.
 */
export async function runOrderStep(request: OrderStepRequest): Promise<StepRecord> {
  const { index, rate, seed, system, status } = request;
  const started = performance.now();
  const settle = request.settleFirst ? await settleBroker(request.inspector, request.signal) : { seconds: 0, leftover: 0 };

  const tail = new HistoryTail(system.historyDir);
  tail.readNew(); // everything before this step: not ours to judge
  const prefix = orderIdPrefix(seed);
  const ledger = new DeliveryLedger(system.topology);
  const counter = new MessageCounter();
  const latency = new DeliverLatency();
  const readHistory = () => {
    const fresh = tail.readNew().filter((e) => belongsToStep(e, prefix));
    ledger.ingest(fresh);
    counter.ingest(fresh);
    latency.ingest(fresh);
  };
  const samples: QueueSample[] = [];
  let sampling: Promise<void> | null = null;
  let managementAnswered = true;
  const sampleQueues = () => {
    if (sampling) return sampling;
    const { url, user, password } = request.management;
    return (sampling = readQueueSamples(url, user, password).then((read) => {
      if (read) samples.push(...read);
      else managementAnswered = false;
      sampling = null;
    }));
  };

  const clientHistory = join(system.historyDir, index === 0 ? 'client-warmup.jsonl' : `client-step-${index}.jsonl`);
  // No client retries: a step measures what the system sustains, and retries would add load exactly at the overloaded steps.
  const subjects = request.cpuSubjects();
  const cpuAtStart = takeCpuSnapshot(subjects);
  await sampleQueues();
  const load = startClientLoad(
    { apiUrl: system.apiUrl, rate, durationSeconds: request.stepSeconds, seed, historyFile: clientHistory, clientRetries: 0 },
    request.signal,
  );
  const ticker = setInterval(() => {
    void sampleQueues();
    readHistory();
    const stats = load.stats();
    status.update({
      phase: `step ${index}`,
      elapsedSeconds: stats.elapsedMs / 1000,
      targetRate: rate,
      achievedRate: stats.currentRate,
      accepted: stats.ok,
      completed: ledger.terminalOrders,
      faults: [],
    });
  }, READ_EVERY_MS);
  let summary;
  try {
    summary = await load.done;
  } finally {
    clearInterval(ticker);
  }
  await sampling;
  await sampleQueues();
  readHistory();
  const backlogOrders = ledger.pending().orders;
  status.update({
    phase: `step ${index} drain`,
    elapsedSeconds: summary.durationMs / 1000,
    accepted: summary.ok,
    completed: ledger.terminalOrders,
    faults: [],
  });
  const drained = await drain(readHistory, ledger, request.drainSeconds, request.signal);
  readHistory();
  const cpuAtEnd = takeCpuSnapshot(subjects);
  status.clear();

  const orders = ledger.orders();
  const figures = stepFigures(rate, summary, backlogOrders, orders, ledger.stages());
  const windowSeconds = loadWindowSeconds(request.stepSeconds, summary.dispatchMs);
  const cpu = cpuBetween(cpuAtStart, cpuAtEnd, orders.accepted);
  const queues = managementAnswered && samples.length ? queueLoads(samples) : null;
  const latencies = latency.byQueue();
  const limit = limitingStage({
    targetRate: rate,
    achievedRate: figures.achieved,
    queues,
    latency: latencies,
    machineBusyCores: cpu.machineBusyCores,
    machineCores: cpu.machineCores,
    otherCores: cpu.unaccountedMs === null ? null : cpu.unaccountedMs / 1000 / cpu.windowSeconds,
    kinds: cpu.kinds,
  });
  return {
    index,
    rate,
    phase: request.phase,
    interrupted: request.signal.aborted,
    seed,
    clientHistory,
    seconds: (performance.now() - started) / 1000,
    settle,
    figures,
    verdict: judgeStep(figures, { p99BoundMs: request.p99BoundMs, maxBacklogSeconds: request.maxBacklogSeconds }),
    drain: drained,
    counts: { ...counter.counts },
    windowSeconds,
    rates: brokerRates(counter.counts, orders.accepted, windowSeconds),
    cpu,
    queues,
    latency: latencies,
    limit,
  };
}

/** Waits (bounded) until the broker's queues hold nothing: a failed step can leave a backlog behind. */
async function settleBroker(inspector: BrokerInspector, signal: AbortSignal): Promise<{ seconds: number; leftover: number }> {
  const started = performance.now();
  let emptyReads = 0;
  let leftover = 0;
  while (!signal.aborted && performance.now() - started < SETTLE_TIMEOUT_MS) {
    const queues = await inspector.queues().catch(() => null);
    leftover = queues ? queues.reduce((n, q) => n + q.ready + q.unacked, 0) : -1;
    emptyReads = leftover === 0 ? emptyReads + 1 : 0;
    if (emptyReads >= SETTLE_EMPTY_READS) break;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
  }
  return { seconds: (performance.now() - started) / 1000, leftover };
}
