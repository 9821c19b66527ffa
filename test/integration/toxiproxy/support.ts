// Fixtures for the Toxiproxy conformance suites: small TCP upstreams on 127.0.0.1:0, client sockets that
// record what they receive and how they end, and deadlines so that nothing can hang a test.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import net, { type AddressInfo, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';

export const LOOPBACK = '127.0.0.1';

import { sleep, uniqueName, within } from '../../support/deadlines.ts';

export { DeadlineError, sleep, uniqueName, within } from '../../support/deadlines.ts';

export interface TcpServerFixture {
  /** host:port, ready to be a proxy upstream */
  readonly address: string;
  readonly port: number;
  readonly sockets: Set<Socket>;
  close(): Promise<void>;
}

/** A TCP server on a free loopback port; `onConnection` decides what it does with each client. */
export async function startTcpServer(onConnection: (socket: Socket) => void): Promise<TcpServerFixture> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `${LOOPBACK}:${port}`,
    port,
    sockets,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Echoes every byte back. */
export function startEchoServer(): Promise<TcpServerFixture> {
  return startTcpServer((socket) => socket.pipe(socket));
}

/** How a socket ended, as seen by the side that owns it. */
export interface Ending {
  at: number;
  /** the peer sent FIN */
  sawEnd: boolean;
  error: NodeJS.ErrnoException | undefined;
}

/** A socket that records every chunk it receives and how it ends. */
export interface Recorder {
  readonly socket: Socket;
  readonly chunks: Buffer[];
  readonly chunkTimes: number[];
  received(): Buffer;
  receivedLength(): number;
  /** resolves when the socket has closed */
  readonly ended: Promise<Ending>;
  /** resolves once at least `bytes` bytes have arrived */
  waitForBytes(bytes: number): Promise<void>;
}

export function record(socket: Socket): Recorder {
  const chunks: Buffer[] = [];
  const chunkTimes: number[] = [];
  let length = 0;
  let sawEnd = false;
  let error: NodeJS.ErrnoException | undefined;
  const waiters: Array<{ bytes: number; resolve: () => void }> = [];
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    chunkTimes.push(performance.now());
    length += chunk.length;
    for (const waiter of waiters.filter((w) => length >= w.bytes)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  socket.on('end', () => {
    sawEnd = true;
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    error = err;
  });
  const ended = new Promise<Ending>((resolve) => {
    socket.once('close', () => resolve({ at: performance.now(), sawEnd, error }));
  });
  return {
    socket,
    chunks,
    chunkTimes,
    received: () => Buffer.concat(chunks),
    receivedLength: () => length,
    ended,
    waitForBytes: (bytes) =>
      length >= bytes ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ bytes, resolve })),
  };
}

/** Connects to "host:port"; rejects with the socket error (ECONNREFUSED...) if that fails. */
export function connect(address: string): Promise<Socket> {
  const colon = address.lastIndexOf(':');
  const socket = net.connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)), noDelay: true });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Connects and records. */
export async function open(address: string): Promise<Recorder> {
  return record(await connect(address));
}

/** Writes `payload` and waits until the echo of it is complete; returns the round trip in ms. */
export async function roundTrip(recorder: Recorder, payload: Buffer | string, timeoutMs = 5_000): Promise<number> {
  const bytes = Buffer.from(payload);
  const target = recorder.receivedLength() + bytes.length;
  const start = performance.now();
  recorder.socket.write(bytes);
  await within(timeoutMs, 'echo', recorder.waitForBytes(target));
  return performance.now() - start;
}

/** Resolves true if the socket closes within `ms`, false if it is still open then. */
export async function closesWithin(recorder: Recorder, ms: number): Promise<boolean> {
  return Promise.race([recorder.ended.then(() => true), sleep(ms).then(() => false)]);
}

/** A proxy named for this test in front of `upstream`, listening on a free loopback port. */
export async function createProxy(client: Toxiproxy, prefix: string, upstream: string): Promise<Proxy> {
  return client.createProxy({ name: uniqueName(prefix), listen: `${LOOPBACK}:0`, upstream });
}

/** Deletes proxies, ignoring ones that are already gone. */
export async function removeProxies(proxies: Iterable<Proxy>): Promise<void> {
  await Promise.all([...proxies].map((proxy) => proxy.remove().catch(() => undefined)));
}

/** Deterministic, non-repeating-looking bytes, so reordering or loss shows up in a compare. */
export function pattern(length: number, seed = 1): Buffer {
  const data = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  return data;
}

/**
 * Children a test starts (tsx running chaos/toxiproxy/main.ts) and the serving processes they
 * announce (tsx's own child): every one is SIGKILLed by PID after each test, so a failed test
 * orphans nothing.
 */
export function trackMainProcesses(): { children: Set<ChildProcessWithoutNullStreams>; servers: Set<number> } {
  const children = new Set<ChildProcessWithoutNullStreams>();
  const servers = new Set<number>();
  afterEach(() => {
    for (const pid of servers) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    servers.clear();
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    children.clear();
  });
  return { children, servers };
}
