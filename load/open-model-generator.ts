import type { ArrivalSchedule } from './arrival-schedule.ts';
import { LatencyHistogram, type LatencySummary } from './latency-histogram.ts';
import { RateWindow } from './rate-window.ts';

// An open-model load generator (k6's arrival-rate executors, in Node): requests start when the schedule says,
// however slowly earlier ones come back. At most maxInFlight are outstanding; a request that finds no free slot
// at its due time, or whose due time passed more than startGraceMs ago (the event loop was stalled), is DROPPED
// and counted, never sent late, so the offered load is never silently lowered.
// Latency is measured from the due time (no coordinated omission: a stalled server makes every request that
// waited behind it look slow) and also from the actual start (service time).
// One timer drives the run: each tick starts every request that has come due, then sleeps until the next one.

/**
 * Five seconds. A request late by up to this is still sent, and its latency counts from its due
 * time, so the lateness is not hidden (k6 starts a late iteration too). The generator's thread also
 * reads every answer: when a recovering API releases thousands of held requests at once, that
 * thread is busy for a moment, and a 0.5 s grace turned such moments into 52-2,285 dropped requests
 * per run, which the load check then had to call a run that fell short. Only a generator stalled
 * for longer than this drops (and the load check says so).
 */
export const DEFAULT_START_GRACE_MS = 5_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const MS_PER_SECOND = 1000;
/** Node's timers cannot sleep for less than 1 ms. */
const MIN_TIMER_MS = 1;

export interface RequestOutcome {
  ok: boolean;
  status?: number;
  error?: string;
}

export type DropReason = 'no-free-slot' | 'late';

export interface CompletedRequest {
  kind: 'completed';
  index: number;
  /** due time, ms from the start of the run */
  scheduledMs: number;
  startedMs: number;
  endedMs: number;
  /** endedMs - scheduledMs: what a user arriving on time would have waited */
  latencyMs: number;
  /** endedMs - startedMs */
  serviceMs: number;
  outcome: RequestOutcome;
}

export interface DroppedRequest {
  kind: 'dropped';
  index: number;
  scheduledMs: number;
  reason: DropReason;
}

export type RequestResult = CompletedRequest | DroppedRequest;

export interface OpenModelOptions {
  schedule: ArrivalSchedule;
  /** at most this many requests outstanding (k6 maxVUs) */
  maxInFlight: number;
  /**
   * sends request i; must settle, and should give up when `signal` aborts. A throw or rejection counts as failed.
   * `lateMs`: how long after its due time it started (latency from the due time = lateMs + its own time).
   */
  request: (i: number, signal: AbortSignal, lateMs: number) => Promise<RequestOutcome>;
  /** called for every completed and every dropped request; a throw stops the run and rejects `done` */
  onResult?: (result: RequestResult) => void;
  /** stops dispatching early; requests in flight still get up to drainTimeoutMs */
  signal?: AbortSignal;
  /** how late (ms) a request may start before it is dropped instead; default 50 */
  startGraceMs?: number;
  /** after the last dispatch, how long (ms) to wait for requests in flight before aborting them; default 10 000 */
  drainTimeoutMs?: number;
}

export interface LiveStats {
  elapsedMs: number;
  sent: number;
  ok: number;
  failed: number;
  dropped: number;
  inFlight: number;
  /** requests started per second over the last ~1 s */
  currentRate: number;
}

export interface OpenModelSummary {
  /** requests in the schedule */
  planned: number;
  /** requests whose due time came before the run stopped: sent + dropped */
  scheduled: number;
  sent: number;
  dropped: number;
  droppedNoFreeSlot: number;
  droppedLate: number;
  ok: number;
  /** includes abandoned */
  failed: number;
  /** still in flight when the drain timeout ran out: aborted and counted as failed */
  abandoned: number;
  /** mean rate the schedule asks for (planned per second of schedule) */
  targetRate: number;
  /** sent per second over the dispatch window (the schedule's duration, or until an early stop) */
  achievedRate: number;
  /** from the due time */
  latencyMs: LatencySummary;
  /** from the actual start */
  serviceTimeMs: LatencySummary;
  /** from start to the last dispatch decision */
  dispatchMs: number;
  /** from start until every request settled or was abandoned */
  durationMs: number;
  stoppedEarly: boolean;
}

export interface OpenModelRun {
  /** performance.now() at the start of the run: the zero of every *Ms time in results */
  readonly startTime: number;
  stats(): LiveStats;
  /** stop dispatching now (same as aborting opts.signal) */
  stop(): void;
  readonly done: Promise<OpenModelSummary>;
}

export class InvalidGeneratorOptionsError extends Error {
  override readonly name = 'InvalidGeneratorOptionsError';
}

export class ResultCallbackError extends Error {
  override readonly name = 'ResultCallbackError';
}

function checkOptions(opts: OpenModelOptions): void {
  if (!Number.isInteger(opts.maxInFlight) || opts.maxInFlight < 1) {
    throw new InvalidGeneratorOptionsError(`maxInFlight: expected an integer >= 1, got ${opts.maxInFlight}`);
  }
  for (const key of ['startGraceMs', 'drainTimeoutMs'] as const) {
    const v = opts[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0))
      throw new InvalidGeneratorOptionsError(`${key}: expected a number of ms >= 0, got ${v}`);
  }
}

const errorText = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** Starts the run and returns at once; `done` resolves with the summary. */
export function startOpenModel(opts: OpenModelOptions): OpenModelRun {
  checkOptions(opts);
  const { schedule, maxInFlight } = opts;
  const grace = opts.startGraceMs ?? DEFAULT_START_GRACE_MS;
  const drainTimeout = opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;

  const t0 = performance.now();
  const elapsed = (): number => performance.now() - t0;
  const latency = new LatencyHistogram();
  const service = new LatencyHistogram();
  const rateWindow = new RateWindow();
  const inFlight = new Set<AbortController>();
  const c = { sent: 0, ok: 0, failed: 0, droppedNoFreeSlot: 0, droppedLate: 0, abandoned: 0 };

  let next = 0;
  let dispatching = true;
  let finished = false;
  let stoppedEarly = false;
  let dispatchMs = 0;
  let tickTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let resolveDone!: (s: OpenModelSummary) => void;
  let rejectDone!: (e: unknown) => void;
  const done = new Promise<OpenModelSummary>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });

  const report = (result: RequestResult): void => {
    if (!opts.onResult) return;
    try {
      opts.onResult(result);
    } catch (error) {
      fail(new ResultCallbackError(`onResult threw for request ${result.index}: ${errorText(error)}`, { cause: error }));
    }
  };

  const drop = (index: number, scheduledMs: number, reason: DropReason): void => {
    if (reason === 'late') c.droppedLate++;
    else c.droppedNoFreeSlot++;
    report({ kind: 'dropped', index, scheduledMs, reason });
  };

  const launch = (index: number, scheduledMs: number, startedMs: number): void => {
    const controller = new AbortController();
    inFlight.add(controller);
    c.sent++;
    rateWindow.record(startedMs);
    let pending: Promise<RequestOutcome>;
    try {
      pending = Promise.resolve(opts.request(index, controller.signal, startedMs - scheduledMs));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending
      .then(
        (outcome): RequestOutcome =>
          outcome && typeof outcome.ok === 'boolean' ? outcome : { ok: false, error: `request returned ${JSON.stringify(outcome)}` },
        (error): RequestOutcome => ({ ok: false, error: errorText(error) }),
      )
      .then((outcome) => {
        if (finished || !inFlight.delete(controller)) return; // abandoned at the drain timeout: already counted
        const endedMs = elapsed();
        const latencyMs = endedMs - scheduledMs;
        const serviceMs = endedMs - startedMs;
        latency.record(latencyMs);
        service.record(serviceMs);
        if (outcome.ok) c.ok++;
        else c.failed++;
        report({ kind: 'completed', index, scheduledMs, startedMs, endedMs, latencyMs, serviceMs, outcome });
        if (!dispatching && inFlight.size === 0) finish();
      });
  };

  const tick = (): void => {
    tickTimer = undefined;
    if (!dispatching) return;
    while (next < schedule.total && dispatching) {
      const scheduledMs = schedule.offsetMs(next);
      const now = elapsed();
      if (scheduledMs > now) break;
      const index = next++;
      if (now - scheduledMs > grace) drop(index, scheduledMs, 'late');
      else if (inFlight.size >= maxInFlight) drop(index, scheduledMs, 'no-free-slot');
      else launch(index, scheduledMs, now);
    }
    if (!dispatching) return;
    if (next >= schedule.total) {
      endDispatch();
      return;
    }
    const wait = schedule.offsetMs(next) - elapsed();
    tickTimer = setTimeout(tick, Math.max(MIN_TIMER_MS, Math.ceil(wait)));
  };

  const endDispatch = (): void => {
    if (!dispatching) return;
    dispatching = false;
    dispatchMs = elapsed();
    if (tickTimer) clearTimeout(tickTimer);
    opts.signal?.removeEventListener('abort', stop);
    if (inFlight.size === 0) finish();
    else drainTimer = setTimeout(abandon, drainTimeout);
  };

  const abandon = (): void => {
    c.abandoned += inFlight.size;
    c.failed += inFlight.size;
    for (const controller of inFlight) controller.abort();
    inFlight.clear();
    finish();
  };

  const cleanUp = (): void => {
    finished = true;
    dispatching = false;
    if (tickTimer) clearTimeout(tickTimer);
    if (drainTimer) clearTimeout(drainTimer);
    opts.signal?.removeEventListener('abort', stop);
  };

  const finish = (): void => {
    if (finished) return;
    cleanUp();
    resolveDone(summarise());
  };

  const fail = (error: unknown): void => {
    if (finished) return;
    for (const controller of inFlight) controller.abort();
    inFlight.clear();
    cleanUp();
    rejectDone(error);
  };

  function stop(): void {
    if (!dispatching) return;
    stoppedEarly = true;
    endDispatch();
  }

  const summarise = (): OpenModelSummary => {
    const dropped = c.droppedLate + c.droppedNoFreeSlot;
    const windowMs = stoppedEarly ? dispatchMs : Math.max(schedule.durationMs, dispatchMs);
    return {
      planned: schedule.total,
      scheduled: c.sent + dropped,
      sent: c.sent,
      dropped,
      droppedNoFreeSlot: c.droppedNoFreeSlot,
      droppedLate: c.droppedLate,
      ok: c.ok,
      failed: c.failed,
      abandoned: c.abandoned,
      targetRate: schedule.durationMs > 0 ? (schedule.total * MS_PER_SECOND) / schedule.durationMs : 0,
      achievedRate: windowMs > 0 ? (c.sent * MS_PER_SECOND) / windowMs : 0,
      latencyMs: latency.summary(),
      serviceTimeMs: service.summary(),
      dispatchMs,
      durationMs: elapsed(),
      stoppedEarly,
    };
  };

  const stats = (): LiveStats => {
    const now = elapsed();
    return {
      elapsedMs: now,
      sent: c.sent,
      ok: c.ok,
      failed: c.failed,
      dropped: c.droppedLate + c.droppedNoFreeSlot,
      inFlight: inFlight.size,
      currentRate: rateWindow.ratePerSecond(now),
    };
  };

  if (opts.signal?.aborted) {
    stop();
  } else {
    opts.signal?.addEventListener('abort', stop, { once: true });
    // First tick on the next turn, so the caller holds the run handle before any onResult call.
    tickTimer = setTimeout(tick, 0);
  }
  return { startTime: t0, stats, stop, done };
}

/** Runs the whole schedule and resolves with the summary. Use startOpenModel for live stats during the run. */
export function runOpenModel(opts: OpenModelOptions): Promise<OpenModelSummary> {
  return startOpenModel(opts).done;
}
