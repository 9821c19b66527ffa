import { parseRetryAfter, type AttemptAnswer } from './client-retry.ts';
import { OrderRequestAbortedError, OrderRequestTimeoutError, type OrderClient, type OrderHttpResponse } from './http-order-client.ts';
import { classifyStatus, type HttpWorkload, type RequestBody } from './http-workload.ts';

// One POST of an order and what the client learned from it, in Jepsen's terms, as the workload reads
// answers (load/http-workload.ts): `ok` for a status meaning accepted, `fail` when the system certainly
// did not take the order (a refused status, 4xx, connection refused), `info` when nobody can know
// (timeout, 5xx, a connection reset mid-request).

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

export async function sendOrderAttempt(
  client: OrderClient,
  body: RequestBody,
  signal?: AbortSignal,
  workload?: HttpWorkload,
): Promise<AttemptResult> {
  const started = performance.now();
  const latency = (): number => Math.round((performance.now() - started) * 10) / 10;
  try {
    const response = await client.postOrder(body, signal);
    const outcome = classifyResponse(response, workload);
    const retryAfterMs = parseRetryAfter(response.retryAfter);
    return {
      outcome,
      answer: { kind: 'response', status: response.status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
      status: response.status,
      ...(outcome !== 'ok' ? { error: describeResponse(response) } : {}),
      latencyMs: latency(),
    };
  } catch (err) {
    if (err instanceof OrderRequestAbortedError)
      return { outcome: 'info', answer: { kind: 'aborted' }, error: err.message, latencyMs: latency() };
    return {
      outcome: isRefused(err) ? 'fail' : 'info',
      answer: { kind: 'no-response' },
      error: err instanceof OrderRequestTimeoutError ? 'timeout' : (err as Error).message,
      latencyMs: latency(),
    };
  }
}

/** Without a workload: any 2xx is ok (load/main.ts, like k6). */
export function classifyResponse(response: OrderHttpResponse, workload?: HttpWorkload): AttemptOutcome {
  return classifyStatus(workload, response.status, response.body);
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
