// Does `tsx chaos/toxiproxy/main.ts` behave as a well-mannered child process: one JSON line with its url
// once it listens, a working API, a clean exit on SIGTERM, and no orphan when its parent's pipe closes?
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { Toxiproxy } from 'toxiproxy-node-client';
import { createProxy, open, roundTrip, startEchoServer, trackMainProcesses, within } from './support.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = `${ROOT}node_modules/.bin/tsx`;
const MAIN = `${ROOT}chaos/toxiproxy/main.ts`;
const STARTUP_MS = 20_000;
const EXIT_MS = 5_000;

// The serving process is tsx's child: it is killed by its announced pid too, or a failed test would orphan it.
const { children, servers } = trackMainProcesses();

interface Started {
  child: ChildProcessWithoutNullStreams;
  announcement: { url: string; pid: number };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startMain(args: string[]): Promise<Started> {
  const child = spawn(TSX, [MAIN, ...args], { cwd: ROOT, stdio: 'pipe' });
  children.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const lines = createInterface({ input: child.stdout });
  const first = new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`main.ts exited (${code}) before announcing itself`)));
  });
  const announcement = JSON.parse(await within(STARTUP_MS, 'main.ts announcement', first)) as Started['announcement'];
  servers.add(announcement.pid);
  return { child, announcement, exited };
}

it('announces {"url","pid"} once listening, serves the API, and exits 0 on SIGTERM', async () => {
  const { child, announcement, exited } = await startMain(['--host', '127.0.0.1', '--port', '0']);
  expect(announcement.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  // tsx runs the script in a child node process; the announced pid is the one serving.
  expect(() => process.kill(announcement.pid, 0)).not.toThrow();

  const echo = await startEchoServer();
  try {
    const client = new Toxiproxy(announcement.url);
    expect(JSON.parse(await client.getVersion())).toEqual({ version: '2.12.0' });
    const proxy = await createProxy(client, 'child', echo.address);
    const conn = await open(proxy.listen);
    expect(await roundTrip(conn, 'via child process')).toBeLessThan(1_000);

    process.kill(announcement.pid, 'SIGTERM');
    expect(await within(EXIT_MS, 'exit after SIGTERM', exited)).toEqual({ code: 0, signal: null });
    expect(() => process.kill(announcement.pid, 0)).toThrow();
    await within(EXIT_MS, 'proxied connection closed by the exit', conn.ended);
  } finally {
    await echo.close();
  }
});

it('exits 0 on SIGINT sent to the tsx wrapper, which relays it', async () => {
  const { child, exited } = await startMain([]);
  child.kill('SIGINT');
  expect(await within(EXIT_MS, 'exit after SIGINT', exited)).toEqual({ code: 0, signal: null });
});

it('with --exit-on-stdin-close, exits when its stdin closes (the parent went away)', async () => {
  const { child, exited } = await startMain(['--exit-on-stdin-close']);
  child.stdin.end();
  expect(await within(EXIT_MS, 'exit after stdin closed', exited)).toEqual({ code: 0, signal: null });
});

it('refuses unknown arguments with exit code 2', async () => {
  const child = spawn(TSX, [MAIN, '--bogus'], { cwd: ROOT, stdio: 'pipe' });
  children.add(child);
  const code = await within(STARTUP_MS, 'usage error exit', new Promise<number | null>((resolve) => child.once('exit', resolve)));
  expect(code).toBe(2);
});
