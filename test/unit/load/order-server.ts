import http from 'node:http';
import type { AddressInfo } from 'node:net';

// A stand-in order API for load tests: records when each order arrived and answers after a chosen delay.

export interface ReceivedOrder {
  /** performance.now() when the request body had arrived */
  atMs: number;
  id: string | undefined;
  remotePort: number | undefined;
}

export interface StartedOrderServer {
  readonly url: string;
  readonly received: ReceivedOrder[];
  /** most requests ever being handled at once */
  readonly maxConcurrent: number;
  /** ms to wait before answering an order that arrived at `atMs` (performance.now()); replaceable mid-test */
  delayFor: (atMs: number) => number;
  status: number;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function startOrderServer(delayFor: (atMs: number) => number = () => 0): Promise<StartedOrderServer> {
  let concurrent = 0;
  let maxConcurrent = 0;
  const state = {
    received: [] as ReceivedOrder[],
    delayFor,
    status: 201,
  };
  const server = http.createServer((req, res) => {
    concurrent++;
    maxConcurrent = Math.max(maxConcurrent, concurrent);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const atMs = performance.now();
      let id: string | undefined;
      try {
        id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: string }).id;
      } catch {
        id = undefined;
      }
      state.received.push({ atMs, id, remotePort: req.socket.remotePort });
      const answer = (): void => {
        concurrent--;
        res.writeHead(state.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id, status: 'accepted' }));
      };
      const delay = state.delayFor(atMs);
      if (delay > 0) setTimeout(answer, delay);
      else answer();
    });
  });
  const { url, close } = await listenOnLoopback(server);
  return {
    url,
    get received() {
      return state.received;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    get delayFor() {
      return state.delayFor;
    },
    set delayFor(f) {
      state.delayFor = f;
    },
    get status() {
      return state.status;
    },
    set status(s) {
      state.status = s;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Listens on a free loopback port with long keep-alive; `close` drops every connection, then stops. */
export async function listenOnLoopback(server: http.Server): Promise<{ url: string; close: () => Promise<void> }> {
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { url: `http://127.0.0.1:${port}`, close };
}
