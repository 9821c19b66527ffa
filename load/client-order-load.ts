import { arrivalSchedule } from './arrival-schedule.ts';
import { retryPolicy, retryRandom, type RetryPolicy } from './client-retry.ts';
import { createOrderClient } from './http-order-client.ts';
import { assertWorkload, REFERENCE_WORKLOAD, workloadOrder, type HttpWorkload } from './http-workload.ts';
import { startOpenModel, type DropReason, type LiveStats, type OpenModelSummary, type RequestOutcome } from './open-model-generator.ts';
import { sendOrderAttempt, type AttemptOutcome, type AttemptResult } from './order-attempt.ts';
import type { OrderIntent, OrderMix } from './order-body.ts';
import { OrderRetries, type RetryOrder, type RetrySummary } from './order-retries.ts';

// The harness's client: orders at a constant arrival rate (open model) with client-chosen ids, each attempt
// recorded with what the client learned and what the order was meant to do, and orders the system asked to
// be retried (5xx, no answer) re-sent like a real client would (load/order-retries.ts). The generator's
// rate and latency figures are about first attempts; the retries have their own figures.

/** A client waits this long for an answer; the API itself gives up on a confirm after 5 s. */
export const REQUEST_TIMEOUT_MS = 8_000;
/** How long the reference API holds a request while it waits for the broker's confirm. */
const API_CONFIRM_HOLD_MS = 5_000;
/**
 * Concurrency cap of the open-model generator (k6's maxVUs), per order/s of target: enough for an
 * API that holds every request while it waits for a confirm (up to 5 s in a broker outage), so
 * arrivals during an outage are sent and answered, not dropped for lack of a slot (at 2 per order/s
 * a broker restart at 100/s dropped 72 requests: the run then could not claim its rate).
 */
const MAX_IN_FLIGHT_PER_RATE = Math.ceil(API_CONFIRM_HOLD_MS / 1000) + 1;
const MIN_MAX_IN_FLIGHT = 64;
/**
 * Every slot is a socket on both sides (the load and the API): above this the pair would run into
 * the file-descriptor limit (20,000 here) before any broker fault did. At such rates (> 680/s) a
 * stalled API makes the generator drop, and the load check says the run fell short.
 */
const MAX_MAX_IN_FLIGHT = 4_096;
/**
 * Retries per second, as a share of the target rate (at least MIN_RETRY_BUDGET): without a budget,
 * every order of a 15 s outage retried on its own backoff multiplied the load several times over
 * just as the system came back, and the harness's own thread fell behind (a 500/s broker-kill run
 * dropped 9,898 first attempts as late). In-doubt orders go first when the budget is short.
 */
const RETRY_BUDGET_SHARE = 0.5;
const MIN_RETRY_BUDGET = 10;
const retryBudget = (rate: number) => Math.max(MIN_RETRY_BUDGET, rate * RETRY_BUDGET_SHARE);
/** Retry attempts in flight at once: twice the target rate, at least 64. */
const retryConcurrency = (rate: number) => Math.max(MIN_MAX_IN_FLIGHT, Math.ceil(rate * 2));
/** The generator waits this long past the request timeout for a request that never settled. */
const DRAIN_MARGIN_MS = 1_000;

/** One attempt as the client's history records it (an `order-request` event of instrument/history-event.ts). */
export interface OrderAttemptRecord {
  kind: 'order-request';
  orderId: string;
  outcome: AttemptOutcome;
  status?: number;
  error?: string;
  latencyMs: number;
  intent: OrderIntent;
  /** 1 for the first request of the order; its retries count up */
  attempt: number;
  /** First attempts only: how long after its due time the generator started it (absent when on time). */
  lateMs?: number;
}

/** An order the generator never sent (no free slot, or its thread was stalled past the grace): an `order-dropped` event. */
export interface OrderDroppedRecord {
  kind: 'order-dropped';
  /** The order's index in the arrival schedule (it never got an order id: none was drawn for it). */
  index: number;
  reason: DropReason;
}

/** The generator's thread hiccups by a few ms all the time; a start this late is worth recording. */
const LATE_RECORD_MS = 1;

export interface ClientOrderLoadOptions {
  apiUrl: string;
  rate: number;
  durationSeconds: number;
  seed: number;
  /** Fractions of orders carrying a marker (poison, flash); none when absent. Needs the reference-order body. */
  mix?: OrderMix;
  /**
   * Where orders go, what they look like and how answers read (load/http-workload.ts); default:
   * reference orders to /orders, any 2xx accepted.
   */
  workload?: HttpWorkload;
  /** Retries per order after the first attempt; default 5 (client-retry.ts), 0 turns retries off. */
  clientRetries?: number | undefined;
  /** Called once per attempt, after it ended, and once per dropped order; must not throw. */
  record: (record: OrderAttemptRecord | OrderDroppedRecord) => void;
  /** For tests: shorter waits than a real client's. */
  retryTiming?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /** Retry attempts started per second at most; default half the target rate, at least 10. */
  retryBudgetPerSecond?: number;
  requestTimeoutMs?: number;
}

export interface ClientLoadSummary extends OpenModelSummary {
  retries: RetrySummary;
}

export interface ClientOrderLoad {
  stats(): LiveStats;
  retries(): RetrySummary;
  /** Stops dispatching new orders; orders already sent still get their retries. */
  stop(): void;
  /** Stops dispatching and abandons pending retries (attempts in flight still finish and are recorded). */
  abort(): void;
  /** Resolves once every first attempt and every retry settled (or was abandoned). */
  done: Promise<ClientLoadSummary>;
}

export function startClientOrderLoad(options: ClientOrderLoadOptions): ClientOrderLoad {
  const policy = retryPolicy(options.clientRetries, options.retryTiming);
  const workload = options.workload;
  if (workload) assertWorkload(workload, options.mix);
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const maxInFlight = Math.min(MAX_MAX_IN_FLIGHT, Math.max(MIN_MAX_IN_FLIGHT, Math.ceil(options.rate * MAX_IN_FLIGHT_PER_RATE)));
  // Retries get their own sockets: sharing the generator's would let them queue first attempts inside the agent.
  const clientOptions = {
    baseUrl: options.apiUrl,
    path: (workload ?? REFERENCE_WORKLOAD).path,
    maxSockets: maxInFlight,
    timeoutMs: requestTimeoutMs,
  };
  const client = createOrderClient(clientOptions);
  const retryClient = createOrderClient(clientOptions);

  const attempt = async (order: RetryOrder, n: number, signal?: AbortSignal, lateMs = 0): Promise<AttemptResult> => {
    const result = await sendOrderAttempt(n === 1 ? client : retryClient, order.body, signal, workload);
    options.record({
      kind: 'order-request',
      orderId: order.orderId,
      outcome: result.outcome,
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error ? { error: result.error } : {}),
      latencyMs: result.latencyMs,
      intent: order.intent,
      attempt: n,
      ...(lateMs >= LATE_RECORD_MS ? { lateMs: Math.round(lateMs * 10) / 10 } : {}),
    });
    return result;
  };
  const retries = new OrderRetries({
    policy,
    concurrency: retryConcurrency(options.rate),
    ratePerSecond: options.retryBudgetPerSecond ?? retryBudget(options.rate),
    send: (order, n) => attempt(order, n),
    random: (i) => retryRandom(options.seed, i),
  });
  const firstAttempts = new Set<Promise<RequestOutcome>>();

  const stopper = new AbortController();
  const run = startOpenModel({
    schedule: arrivalSchedule({ kind: 'constant', ratePerSecond: options.rate, durationSeconds: options.durationSeconds }),
    maxInFlight,
    signal: stopper.signal,
    drainTimeoutMs: requestTimeoutMs + DRAIN_MARGIN_MS,
    onResult: (result) => {
      if (result.kind === 'dropped') options.record({ kind: 'order-dropped', index: result.index, reason: result.reason });
    },
    request: (i, signal, lateMs) => {
      const first = firstAttempt(i, signal, lateMs);
      firstAttempts.add(first);
      void first.finally(() => firstAttempts.delete(first)).catch(() => {});
      return first;
    },
  });
  async function firstAttempt(i: number, signal: AbortSignal, lateMs: number): Promise<RequestOutcome> {
    const order: RetryOrder = {
      index: i,
      ...workloadOrder(workload ?? REFERENCE_WORKLOAD, options.seed, i, options.mix),
      firstStartMs: performance.now(),
    };
    const result = await attempt(order, 1, signal, lateMs);
    retries.afterFirstAttempt(order, result);
    return {
      ok: result.outcome === 'ok',
      ...(result.status !== undefined ? { status: result.status } : {}),
      ...(result.error ? { error: result.error } : {}),
    };
  }

  const done = run.done
    .then(async (summary) => {
      // A first attempt the generator abandoned at its drain timeout may still be recording its answer.
      await Promise.allSettled([...firstAttempts]);
      // Every order has been sent: only in-doubt ones still need their retries.
      retries.dropRefused();
      await retries.settled();
      return { ...summary, retries: retries.summary() };
    })
    .finally(() => {
      client.close();
      retryClient.close();
    });
  return {
    stats: run.stats,
    retries: () => retries.summary(),
    stop: () => {
      stopper.abort();
      retries.dropRefused();
    },
    abort: () => {
      stopper.abort();
      retries.abandon();
    },
    done,
  };
}
