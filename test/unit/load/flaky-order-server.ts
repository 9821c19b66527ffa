import http from 'node:http';
import { listenOnLoopback } from './order-server.ts';

// A stand-in order API whose answer depends on the order id and on how many times that id came before:
// what a client retrying an order meets while the broker behind the API is down.

export interface ReceivedAttempt {
  /** performance.now() when the request body had arrived */
  atMs: number;
  id: string | undefined;
  /** 1 for the first request carrying this id */
  nth: number;
  /** the raw body, to prove a retry sends the same bytes */
  body: string;
}

export interface Answer {
  status: number;
  body?: unknown;
  delayMs?: number;
  headers?: Record<string, string>;
}

/** How to answer request `nth` (1-based) of order `id` arriving at `atMs`. */
export type Answerer = (id: string | undefined, nth: number, atMs: number) => Answer;

export interface StartedFlakyOrderServer {
  readonly url: string;
  readonly received: ReceivedAttempt[];
  answer: Answerer;
  /** every request carrying `id`, in arrival order */
  attemptsOf(id: string): ReceivedAttempt[];
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export const ACCEPTED: Answer = { status: 202, body: { status: 'accepted' } };
export const IN_DOUBT: Answer = { status: 503, body: { error: 'no confirm', outcome: 'info' } };

export async function startFlakyOrderServer(answer: Answerer): Promise<StartedFlakyOrderServer> {
  const received: ReceivedAttempt[] = [];
  const seen = new Map<string | undefined, number>();
  const state = { answer };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const atMs = performance.now();
      const body = Buffer.concat(chunks).toString('utf8');
      let id: string | undefined;
      try {
        id = (JSON.parse(body) as { id?: string }).id;
      } catch {
        id = undefined;
      }
      const nth = (seen.get(id) ?? 0) + 1;
      seen.set(id, nth);
      received.push({ atMs, id, nth, body });
      const reply = state.answer(id, nth, atMs);
      const send = (): void => {
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(JSON.stringify({ orderId: id, ...(reply.body as object | undefined) }));
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  const { url, close } = await listenOnLoopback(server);
  return {
    url,
    received,
    get answer() {
      return state.answer;
    },
    set answer(a) {
      state.answer = a;
    },
    attemptsOf: (id) => received.filter((r) => r.id === id),
    close,
    [Symbol.asyncDispose]: close,
  };
}
