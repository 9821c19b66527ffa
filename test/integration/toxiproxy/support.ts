// Fixtures for the Toxiproxy conformance suites: small TCP upstreams on 127.0.0.1:0, client sockets that
// record what they receive and how they end, and deadlines so that nothing can hang a test.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import net, { type AddressInfo, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import { startEmbeddedToxiproxy, type StartedToxiproxy } from '../../../chaos/toxiproxy/index.ts';
import { sleep, uniqueName, within } from '../../support/deadlines.ts';

export const LOOPBACK = '127.0.0.1';

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
    waitForBytes: (bytes) => (length >= bytes ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ bytes, resolve }))),
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

/** An API reply as sent: status, content type, raw text and, when the text is JSON, its value. */
export interface RawReply<Json = unknown> {
  status: number;
  contentType: string | null;
  text: string;
  json: Json | undefined;
}

/** A raw call to the API at `url`; `body` is sent as-is when it is a string, as JSON otherwise. */
export async function rawCall<Json = unknown>(
  url: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<RawReply<Json>> {
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await fetch(`${url}${path}`, init);
  const text = await response.text();
  let json: Json | undefined;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), text, json };
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

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = `${REPO_ROOT}node_modules/.bin/tsx`;
const MAIN = `${REPO_ROOT}chaos/toxiproxy/main.ts`;

/** `tsx chaos/toxiproxy/main.ts`, started by a test. */
export interface MainProcess {
  /** The tsx wrapper; the serving process is its child. */
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
  /** Its announcement line {"url","pid"}; rejects if it exits first, or after `timeoutMs`. */
  announced(timeoutMs: number): Promise<{ url: string; pid: number }>;
}

/**
 * Starts chaos/toxiproxy/main.ts for the tests of this file. Every child (the tsx wrapper) and every
 * serving process it announces (tsx's own child) is SIGKILLed by PID after each test, so a failed
 * test orphans nothing.
 */
export function trackMainProcesses(): { startMain(args: string[]): MainProcess } {
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
  return {
    startMain(args) {
      const child = spawn(TSX, [MAIN, ...args], { cwd: REPO_ROOT, stdio: 'pipe' });
      children.add(child);
      let stderr = '';
      child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      const firstLine = new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`main.ts exited (${code}) before announcing itself: ${stderr}`)));
      });
      // Observed here so that a process that only exits (a usage error) leaves no unhandled rejection.
      firstLine.catch(() => undefined);
      return {
        child,
        exited,
        stderr: () => stderr,
        async announced(timeoutMs) {
          const announcement = JSON.parse(await within(timeoutMs, 'main.ts announcement', firstLine)) as { url: string; pid: number };
          servers.add(announcement.pid);
          return announcement;
        },
      };
    },
  };
}

/** One embedded Toxiproxy for a test file, and what its tests open through it. */
export interface ToxiproxySuite {
  /** Set once beforeAll ran: use inside tests and hooks only. */
  readonly url: string;
  readonly client: Toxiproxy;
  /** Keeps a started upstream until the end of the test. */
  upstream(fixture: Promise<TcpServerFixture>): Promise<TcpServerFixture>;
  /** A proxy named for this test in front of `target`, removed after the test. */
  proxyTo(prefix: string, target: TcpServerFixture): Promise<Proxy>;
  /** A recorded client connection to the proxy, destroyed after the test. */
  openThrough(proxy: Proxy): Promise<Recorder>;
}

/**
 * Starts an embedded Toxiproxy before the file's tests and stops it after them; after each test,
 * destroys the connections, proxies and upstreams that test opened, so no test sees another's.
 */
export function useEmbeddedToxiproxy(): ToxiproxySuite {
  let started: StartedToxiproxy | undefined;
  let client: Toxiproxy | undefined;
  const proxies = new Set<Proxy>();
  const upstreams = new Set<TcpServerFixture>();
  const recorders = new Set<Recorder>();
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the embedded Toxiproxy is not started: use the suite inside tests and hooks');
    return value;
  };

  beforeAll(async () => {
    started = await startEmbeddedToxiproxy();
    client = new Toxiproxy(started.url);
  });
  afterAll(async () => {
    await started?.stop();
  });
  afterEach(async () => {
    for (const recorder of recorders) recorder.socket.destroy();
    recorders.clear();
    await removeProxies(proxies);
    proxies.clear();
    await Promise.all([...upstreams].map((upstream) => upstream.close()));
    upstreams.clear();
  });

  return {
    get url() {
      return ready(started).url;
    },
    get client() {
      return ready(client);
    },
    async upstream(fixture) {
      const upstream = await fixture;
      upstreams.add(upstream);
      return upstream;
    },
    async proxyTo(prefix, target) {
      const proxy = await createProxy(ready(client), prefix, target.address);
      proxies.add(proxy);
      return proxy;
    },
    async openThrough(proxy) {
      const recorder = await open(proxy.listen);
      recorders.add(recorder);
      return recorder;
    },
  };
}
