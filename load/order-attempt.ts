import { parseRetryAfter, type AttemptAnswer } from './client-retry.ts';
import { OrderRequestAbortedError, OrderRequestTimeoutError, type OrderClient, type OrderHttpResponse } from './http-order-client.ts';
import type { OrderBody } from './order-body.ts';

// One POST /orders and what the client learned from it, in Jepsen's terms: `ok` for 2xx, `fail` when the API
// certainly did not take the order (4xx, 503 saying "fail", connection refused), `info` when nobody can know
// (timeout, 503 saying "info", a connection reset mid-request).

export type AttemptOutcome = 'ok' | 'fail' | 'info';

export interface AttemptResult {
  outcome: AttemptOutcome;
  /** what retrying needs to know (load/client-retry.ts) */
  answer: AttemptAnswer;
  status?: number;
  error?: string;
  /** from the start of this attempt, 0.1 ms resolution */
  latencyMs: number;
}

export async function sendOrderAttempt(client: OrderClient, body: OrderBody, signal?: AbortSignal): Promise<AttemptResult> {
  const started = performance.now();
  const latency = (): number => Math.round((performance.now() - started) * 10) / 10;
  try {
    const response = await client.postOrder(body, signal);
    const outcome = classifyResponse(response);
    const retryAfterMs = parseRetryAfter(response.retryAfter);
    return {
      outcome,
      answer: { kind: 'response', status: response.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
      status: response.status,
      ...(outcome !== 'ok' ? { error: describeResponse(response) } : {}),
      latencyMs: latency(),
    };
  } catch (err) {
    if (err instanceof OrderRequestAbortedError) return { outcome: 'info', answer: { kind: 'aborted' }, error: err.message, latencyMs: latency() };
    return {
      outcome: isRefused(err) ? 'fail' : 'info',
      answer: { kind: 'no-response' },
      error: err instanceof OrderRequestTimeoutError ? 'timeout' : (err as Error).message,
      latencyMs: latency(),
    };
  }
}

export function classifyResponse(response: OrderHttpResponse): AttemptOutcome {
  if (response.status >= 200 && response.status < 300) return 'ok';
  if (response.status >= 400 && response.status < 500) return 'fail';
  const said = (response.body as { outcome?: unknown } | undefined)?.outcome;
  return said === 'fail' ? 'fail' : 'info';
}

function describeResponse(response: OrderHttpResponse): string {
  const body = response.body as { error?: unknown } | undefined;
  return `HTTP ${response.status}${typeof body?.error === 'string' ? `: ${body.error}` : ''}`;
}

/** Connection refused: the request never reached the API, so the order certainly was not taken. */
function isRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED';
}
