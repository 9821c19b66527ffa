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
  const readHistory = () => {
    const fresh = tail.readNew().filter((e) => belongsToStep(e, prefix));
    ledger.ingest(fresh);
    counter.ingest(fresh);
  };

  const clientHistory = join(system.historyDir, index === 0 ? 'client-warmup.jsonl' : `client-step-${index}.jsonl`);
  // No client retries: a step measures what the system sustains, and retries would add load exactly at the overloaded steps.
  const load = startClientLoad(
    { apiUrl: system.apiUrl, rate, durationSeconds: request.stepSeconds, seed, historyFile: clientHistory, clientRetries: 0 },
    request.signal,
  );
  const ticker = setInterval(() => {
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
  status.clear();

  const orders = ledger.orders();
  const figures = stepFigures(rate, summary, backlogOrders, orders, ledger.stages());
  const windowSeconds = loadWindowSeconds(request.stepSeconds, summary.dispatchMs);
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
