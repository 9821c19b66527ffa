import { arrivalSchedule } from './arrival-schedule.ts';
import type { ClientLoadSummary } from './client-order-load.ts';
import { retryPolicy, retryRandom } from './client-retry.ts';
import { createOrderClient, type OrderClient } from './http-order-client.ts';
import { startOpenModel, type OpenModelRun, type RequestOutcome, type RequestResult } from './open-model-generator.ts';
import { sendOrderAttempt } from './order-attempt.ts';
import { orderBody } from './order-body.ts';
import { OrderRetries } from './order-retries.ts';
import type { ResolvedProfile } from './profiles.ts';

// Orders at a profile's arrival rate against a running order API: the open-model generator, the keep-alive
// client and the seeded bodies wired together. load/main.ts runs it from the command line; the harness can
// start it directly and stop it through `signal`.

/** Ok means 2xx, as load/k6/orders.js tells k6 (http.expectedStatuses 200-299). */
export const isOkStatus = (status: number): boolean => status >= 200 && status < 300;

/** Grace after the client's own timeout before the generator abandons a request that never settled. */
const DRAIN_MARGIN_MS = 1000;

export interface OrderLoadOptions {
  apiUrl: string;
  profile: ResolvedProfile;
  /** seeds the order bodies; same seed, same orders */
  seed: number;
  /** retries of an order answered 5xx or not at all (load/client-retry.ts); default 0: k6 does not retry either */
  clientRetries?: number;
  /** stops dispatching and abandons pending retries */
  signal?: AbortSignal;
  onResult?: (result: RequestResult) => void;
}

export interface OrderLoadRun extends Omit<OpenModelRun, 'done'> {
  readonly client: OrderClient;
  /** first-attempt figures from the generator, plus the retries' */
  readonly done: Promise<ClientLoadSummary>;
}

export function orderRequest(client: OrderClient, seed: number): (i: number, signal: AbortSignal) => Promise<RequestOutcome> {
  return async (i, signal) => {
    const response = await client.postOrder(orderBody(seed, i), signal);
    return isOkStatus(response.status)
      ? { ok: true, status: response.status }
      : { ok: false, status: response.status, error: `HTTP ${response.status}` };
  };
}

export function startOrderLoad(options: OrderLoadOptions): OrderLoadRun {
  const { profile, seed } = options;
  const client = createOrderClient({ baseUrl: options.apiUrl, maxSockets: profile.maxInFlight, timeoutMs: profile.requestTimeoutMs });
  // Retries run outside the generator's slots, on their own sockets (load/order-retries.ts says why).
  const retryClient = createOrderClient({ baseUrl: options.apiUrl, maxSockets: profile.maxInFlight, timeoutMs: profile.requestTimeoutMs });
  const retries = new OrderRetries({
    policy: retryPolicy(options.clientRetries ?? 0),
    concurrency: profile.maxInFlight,
    send: (order) => sendOrderAttempt(retryClient, order.body),
    random: (i) => retryRandom(seed, i),
  });
  const abandon = (): void => retries.abandon();
  options.signal?.addEventListener('abort', abandon, { once: true });
  const run = startOpenModel({
    schedule: arrivalSchedule(profile.plan),
    maxInFlight: profile.maxInFlight,
    request: async (i, signal) => {
      const body = orderBody(seed, i);
      const firstStartMs = performance.now();
      const result = await sendOrderAttempt(client, body, signal);
      retries.afterFirstAttempt({ index: i, orderId: body.id!, body, intent: 'normal', firstStartMs }, result);
      return {
        ok: result.outcome === 'ok',
        ...(result.status !== undefined ? { status: result.status } : {}),
        ...(result.error ? { error: result.error } : {}),
      };
    },
    drainTimeoutMs: profile.requestTimeoutMs + DRAIN_MARGIN_MS,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
  });
  const done: Promise<ClientLoadSummary> = run.done
    .then(async (summary) => {
      await retries.settled();
      return { ...summary, retries: retries.summary() };
    })
    .finally(() => {
      options.signal?.removeEventListener('abort', abandon);
      client.close();
      retryClient.close();
    });
  return { client, startTime: run.startTime, stats: run.stats, stop: run.stop, done };
}
