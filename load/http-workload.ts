import type { AttemptOutcome } from './order-attempt.ts';
import { intentOf, markedOrderBody, orderBody, orderMarker, type OrderBody, type OrderIntent, type OrderMix } from './order-body.ts';

/**
 * The workload as data: one HTTP request per order, and how to read its answer. The same shape as
 * the `HttpWorkload` a target declares (harness/target/target.ts), spelled here because load/ imports
 * nothing but itself; the harness passes a target's workload in as is.
 */
export interface HttpWorkload {
  /** Path appended to the target's base URL, e.g. `/orders`. */
  path: string;
  /** `reference-order` (order-body.ts, markers and all) or `id-only`: `{"id": "<order id>"}`. */
  body: 'reference-order' | 'id-only';
  /** Statuses meaning "accepted: the system promises to process it". */
  okStatuses: readonly number[];
  /** Statuses meaning "certainly not accepted" (e.g. 503 while the broker is away). */
  refusedStatuses: readonly number[];
}

/** The reference order system's protocol: 202 once the broker confirmed, 503 when it could not take the order. */
export const REFERENCE_WORKLOAD: HttpWorkload = { path: '/orders', body: 'reference-order', okStatuses: [202], refusedStatuses: [503] };

/** What is sent for an order: the same body on every attempt, so a retry is recognisably the same order. */
export type RequestBody = OrderBody | { id: string };

export interface WorkloadOrder {
  orderId: string;
  body: RequestBody;
  intent: OrderIntent;
}

export class InvalidWorkloadError extends Error {
  override readonly name = 'InvalidWorkloadError';
}

/** Refuses a combination the workload cannot honour, before any request is sent. */
export function assertWorkload(workload: HttpWorkload, mix: OrderMix | undefined): void {
  if (!workload.path.startsWith('/'))
    throw new InvalidWorkloadError(`workload path: expected a path starting with /, got ${JSON.stringify(workload.path)}`);
  if (workload.okStatuses.length === 0)
    throw new InvalidWorkloadError('workload okStatuses: expected at least one status meaning "accepted"');
  // Markers are products of the reference order body: an id-only body has nowhere to carry them.
  if (mix && workload.body !== 'reference-order' && Object.values(mix).some((v) => (v ?? 0) > 0)) {
    throw new InvalidWorkloadError(
      `an order mix (${JSON.stringify(mix)}) needs the reference-order body; this workload sends ${workload.body}`,
    );
  }
}

/** Order `index` of the run seeded with `seed`: the id is the same whatever the body looks like. */
export function workloadOrder(workload: HttpWorkload, seed: number, index: number, mix?: OrderMix): WorkloadOrder {
  if (workload.body === 'id-only') {
    const orderId = orderBody(seed, index).id!;
    return { orderId, body: { id: orderId }, intent: 'normal' };
  }
  const marker = mix ? orderMarker(seed, index, mix) : undefined;
  const body = mix ? markedOrderBody(seed, index, mix) : orderBody(seed, index);
  return { orderId: body.id!, body, intent: intentOf(marker) };
}

/**
 * Jepsen's three outcomes from an answer: `ok` for a status the workload calls accepted (any 2xx
 * without a workload, as k6 reads it); what the system says itself (`{"outcome": "fail" | "info"}`
 * in the body) for any other; `fail` for a refused status or a 4xx (the request itself was turned
 * down, and would be every time); `info` otherwise.
 */
export function classifyStatus(workload: HttpWorkload | undefined, status: number, body: unknown): AttemptOutcome {
  if (workload ? workload.okStatuses.includes(status) : status >= 200 && status < 300) return 'ok';
  const said = (body as { outcome?: unknown } | undefined)?.outcome;
  if (said === 'fail' || said === 'info') return said;
  if (workload?.refusedStatuses.includes(status) || (status >= 400 && status < 500)) return 'fail';
  return 'info';
}
