// Does `tsx chaos/toxiproxy/main.ts` behave as a well-mannered child process: one JSON line with its url
// once it listens, a working API, a clean exit on SIGTERM, and no orphan when its parent's pipe closes?
import { expect, it } from 'vitest';
import { Toxiproxy } from 'toxiproxy-node-client';
import { createProxy, open, roundTrip, startEchoServer, trackMainProcesses, within } from './support.ts';

const STARTUP_MS = 20_000;
const EXIT_MS = 5_000;

const { startMain } = trackMainProcesses();

async function startAnnounced(args: string[]) {
  const main = startMain(args);
  return { ...main, announcement: await main.announced(STARTUP_MS) };
}

it('announces {"url","pid"} once listening, serves the API, and exits 0 on SIGTERM', async () => {
  const { announcement, exited } = await startAnnounced(['--host', '127.0.0.1', '--port', '0']);
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
  const { child, exited } = await startAnnounced([]);
  child.kill('SIGINT');
  expect(await within(EXIT_MS, 'exit after SIGINT', exited)).toEqual({ code: 0, signal: null });
});

it('with --exit-on-stdin-close, exits when its stdin closes (the parent went away)', async () => {
  const { child, exited } = await startAnnounced(['--exit-on-stdin-close']);
  child.stdin.end();
  expect(await within(EXIT_MS, 'exit after stdin closed', exited)).toEqual({ code: 0, signal: null });
});

it('refuses unknown arguments with exit code 2, naming the argument', async () => {
  const { exited, stderr } = startMain(['--bogus']);
  expect(await within(STARTUP_MS, 'usage error exit', exited)).toEqual({ code: 2, signal: null });
  expect(stderr()).toMatch(/^Unknown option '--bogus'/);
});

it('refuses a port out of range with exit code 2, saying what is expected', async () => {
  const { exited, stderr } = startMain(['--port', '70000']);
  expect(await within(STARTUP_MS, 'usage error exit', exited)).toEqual({ code: 2, signal: null });
  expect(stderr()).toMatch(/^--port: expected an integer from 0 to 65535, got "70000"\n/);
});
