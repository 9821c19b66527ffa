import { parentPort, workerData } from 'node:worker_threads';
import { arrivalSchedule } from '../../load/arrival-schedule.ts';
import { createOrderClient, OrderRequestTimeoutError, type OrderHttpResponse } from '../../load/http-order-client.ts';
import { startOpenModel } from '../../load/open-model-generator.ts';
import { markedOrderBody, orderBody } from '../../load/order-body.ts';
import type { Outcome } from '../../system/history/history-event.ts';
import { HistoryWriter } from '../../system/history/history-writer.ts';
import type { ClientLoadOptions, FromLoadWorker, ToLoadWorker } from './client-load.ts';

/** A client waits this long for an answer; the API itself gives up on a confirm after 5 s. */
const REQUEST_TIMEOUT_MS = 8_000;
/** Concurrency cap of the open-model generator (k6's maxVUs): enough for a stalled API at the target rate. */
const MAX_IN_FLIGHT_PER_RATE = 2;
const MIN_MAX_IN_FLIGHT = 64;
const STATS_EVERY_MS = 250;

/**
 * Orders at a constant arrival rate (open model) with client-chosen ids, recording what the
 * client learned about each one: `ok` for 202, `fail` when the API certainly did not take it
 * (4xx, 503 "fail", connection refused), `info` when nobody can know (timeout, 503 "info", a
 * connection reset mid-request).
 */
function runClientLoad(options: ClientLoadOptions): void {
  const history = new HistoryWriter(options.historyFile, 'client');
  const stop = new AbortController();
  const maxInFlight = Math.max(MIN_MAX_IN_FLIGHT, Math.ceil(options.rate * MAX_IN_FLIGHT_PER_RATE));
  const client = createOrderClient({ baseUrl: options.apiUrl, maxSockets: maxInFlight, timeoutMs: REQUEST_TIMEOUT_MS });
  const run = startOpenModel({
    schedule: arrivalSchedule({ kind: 'constant', ratePerSecond: options.rate, durationSeconds: options.durationSeconds }),
    maxInFlight,
    signal: stop.signal,
    drainTimeoutMs: REQUEST_TIMEOUT_MS + 1_000,
    request: async (i, signal) => {
      const body = options.mix ? markedOrderBody(options.seed, i, options.mix) : orderBody(options.seed, i);
      const orderId = body.id!;
      const started = performance.now();
      let outcome: Outcome;
      let status: number | undefined;
      let error: string | undefined;
      try {
        const response = await client.postOrder(body, signal);
        status = response.status;
        outcome = classify(response);
        if (outcome !== 'ok') error = describe(response);
      } catch (err) {
        outcome = isRefused(err) ? 'fail' : 'info';
        error = err instanceof OrderRequestTimeoutError ? 'timeout' : (err as Error).message;
      }
      history.append({
        kind: 'order-request',
        orderId,
        outcome,
        ...(status !== undefined ? { status } : {}),
        ...(error ? { error } : {}),
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
      });
      return { ok: outcome === 'ok', ...(status !== undefined ? { status } : {}), ...(error ? { error } : {}) };
    },
  });
  const post = (message: FromLoadWorker) => parentPort!.postMessage(message);
  const ticker = setInterval(() => post({ type: 'stats', stats: run.stats() }), STATS_EVERY_MS);
  parentPort!.on('message', (message: ToLoadWorker) => {
    if (message.type === 'stop') stop.abort();
  });
  void run.done.then((summary) => {
    clearInterval(ticker);
    client.close();
    history.close();
    post({ type: 'stats', stats: run.stats() });
    post({ type: 'done', summary });
  });
}

runClientLoad(workerData as ClientLoadOptions);

function classify(response: OrderHttpResponse): Outcome {
  if (response.status === 202) return 'ok';
  if (response.status >= 400 && response.status < 500) return 'fail';
  const said = (response.body as { outcome?: unknown } | undefined)?.outcome;
  return said === 'fail' ? 'fail' : 'info';
}

function describe(response: OrderHttpResponse): string {
  const body = response.body as { error?: unknown } | undefined;
  return `HTTP ${response.status}${typeof body?.error === 'string' ? `: ${body.error}` : ''}`;
}

/** Connection refused: the request never reached the API, so the order certainly was not taken. */
function isRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED';
}
