import http from 'node:http';
import https from 'node:https';

// POST /orders over keep-alive connections. maxSockets equals the generator's maxInFlight, so a request never
// queues inside the agent: the generator's in-flight limit is the only one, and its drops are the only drops.
// Every request has a hard deadline (connect + send + full response), enforced here, not by the server.

export const ORDERS_PATH = '/orders';
/** Bodies beyond this are cut short: the load client needs the status and a small JSON answer, not megabytes. */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;

export interface OrderClientOptions {
  /** e.g. http://127.0.0.1:3000 */
  baseUrl: string;
  maxSockets: number;
  timeoutMs: number;
  path?: string;
}

export interface OrderHttpResponse {
  status: number;
  /** parsed JSON when the body is JSON, the text otherwise, undefined when empty */
  body: unknown;
  /** the `Retry-After` header as sent, when there was one */
  retryAfter?: string;
}

export class OrderRequestError extends Error {
  override readonly name: string = 'OrderRequestError';
}

export class OrderRequestTimeoutError extends OrderRequestError {
  override readonly name = 'OrderRequestTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`no complete response within ${timeoutMs} ms`);
  }
}

export class OrderRequestAbortedError extends OrderRequestError {
  override readonly name = 'OrderRequestAbortedError';
  constructor() {
    super('request aborted by the caller');
  }
}

export class InvalidOrderClientOptionsError extends Error {
  override readonly name = 'InvalidOrderClientOptionsError';
}

export interface OrderClient {
  readonly url: URL;
  postOrder(body: unknown, signal?: AbortSignal): Promise<OrderHttpResponse>;
  /** closes idle and busy sockets; requests in flight fail */
  close(): void;
  [Symbol.dispose](): void;
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  if (contentType?.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

export function createOrderClient(options: OrderClientOptions): OrderClient {
  let url: URL;
  try {
    url = new URL(options.path ?? ORDERS_PATH, options.baseUrl);
  } catch {
    throw new InvalidOrderClientOptionsError(`baseUrl: expected an absolute http(s) URL, got ${JSON.stringify(options.baseUrl)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidOrderClientOptionsError(`baseUrl: expected an http: or https: URL, got ${url.protocol}`);
  }
  if (!Number.isInteger(options.maxSockets) || options.maxSockets < 1) {
    throw new InvalidOrderClientOptionsError(`maxSockets: expected an integer >= 1, got ${options.maxSockets}`);
  }
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new InvalidOrderClientOptionsError(`timeoutMs: expected a number of ms > 0, got ${options.timeoutMs}`);
  }
  const transport = url.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets });

  const postOrder = (body: unknown, signal?: AbortSignal): Promise<OrderHttpResponse> =>
    new Promise<OrderHttpResponse>((resolve, reject) => {
      if (signal?.aborted) {
        reject(new OrderRequestAbortedError());
        return;
      }
      const payload = Buffer.from(JSON.stringify(body));
      let settled = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        finish();
      };
      const failWith = (error: unknown): void =>
        settle(() =>
          reject(
            error instanceof OrderRequestError
              ? error
              : new OrderRequestError(String((error as Error)?.message ?? error), { cause: error }),
          ),
        );

      const req = transport.request(
        url,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': payload.length },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_RESPONSE_BODY_BYTES) chunks.push(chunk);
            size += chunk.length;
          });
          const retryAfter = res.headers['retry-after'];
          res.on('end', () =>
            settle(() =>
              resolve({
                status: res.statusCode ?? 0,
                body: parseBody(Buffer.concat(chunks), res.headers['content-type']),
                ...(retryAfter !== undefined ? { retryAfter } : {}),
              }),
            ),
          );
          res.on('error', failWith);
          res.on('close', () => failWith(new OrderRequestError('connection closed before the response was complete')));
        },
      );
      const deadline = setTimeout(() => {
        const error = new OrderRequestTimeoutError(options.timeoutMs);
        failWith(error);
        req.destroy(error);
      }, options.timeoutMs);
      const onAbort = (): void => {
        const error = new OrderRequestAbortedError();
        failWith(error);
        req.destroy(error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', failWith);
      req.end(payload);
    });

  const close = (): void => agent.destroy();
  return { url, postOrder, close, [Symbol.dispose]: close };
}
