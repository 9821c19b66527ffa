import { arrivalSchedule } from './arrival-schedule.ts';
import { createOrderClient, type OrderClient } from './http-order-client.ts';
import { startOpenModel, type OpenModelRun, type OpenModelSummary, type RequestOutcome, type RequestResult } from './open-model-generator.ts';
import { orderBody } from './order-body.ts';
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
  signal?: AbortSignal;
  onResult?: (result: RequestResult) => void;
}

export interface OrderLoadRun extends OpenModelRun {
  readonly client: OrderClient;
}

export function orderRequest(client: OrderClient, seed: number): (i: number, signal: AbortSignal) => Promise<RequestOutcome> {
  return async (i, signal) => {
    const response = await client.postOrder(orderBody(seed, i), signal);
    return isOkStatus(response.status) ? { ok: true, status: response.status } : { ok: false, status: response.status, error: `HTTP ${response.status}` };
  };
}

export function startOrderLoad(options: OrderLoadOptions): OrderLoadRun {
  const { profile } = options;
  const client = createOrderClient({ baseUrl: options.apiUrl, maxSockets: profile.maxInFlight, timeoutMs: profile.requestTimeoutMs });
  const run = startOpenModel({
    schedule: arrivalSchedule(profile.plan),
    maxInFlight: profile.maxInFlight,
    request: orderRequest(client, options.seed),
    drainTimeoutMs: profile.requestTimeoutMs + DRAIN_MARGIN_MS,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onResult ? { onResult: options.onResult } : {}),
  });
  const done: Promise<OpenModelSummary> = run.done.finally(() => client.close());
  return { client, startTime: run.startTime, stats: run.stats, stop: run.stop, done };
}
