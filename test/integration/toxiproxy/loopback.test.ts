// Can an API call open a proxy to the network? By default the embedded Toxiproxy refuses any listen
// address off loopback (400, Toxiproxy's error JSON) and binds nothing; only a server started with
// allowNonLoopback (--allow-non-loopback) takes one. Its own API listens on loopback unless told otherwise.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Toxiproxy } from 'toxiproxy-node-client';
import { isLoopbackHost } from '../../../chaos/toxiproxy/address.ts';
import { NonLoopbackHostError, startEmbeddedToxiproxy, type StartedToxiproxy } from '../../../chaos/toxiproxy/index.ts';
import {
  LOOPBACK,
  open,
  rawCall,
  roundTrip,
  startEchoServer,
  trackMainProcesses,
  uniqueName,
  within,
  type RawReply,
  type TcpServerFixture,
} from './support.ts';

const STARTUP_MS = 20_000;
const NOT_LOOPBACK = new RegExp(
  String.raw`^listen address .* is not loopback: proxies listen only on 127\.0\.0\.1, ::1 or localhost ` +
    String.raw`unless the server allows others \(--allow-non-loopback\)$`,
);

/** What the API says when it refuses a call (Toxiproxy's error JSON), and the fields these tests read. */
interface ErrorJson {
  error?: string;
  status?: number;
  proxies?: unknown;
  listen?: string;
}

function call(url: string, method: string, path: string, body?: unknown): Promise<RawReply<ErrorJson>> {
  return rawCall<ErrorJson>(url, method, path, body);
}

function expectRefused(reply: RawReply<ErrorJson>, listen: string): void {
  expect(reply.status).toBe(400);
  expect(reply.json?.status).toBe(400);
  expect(reply.json?.error).toMatch(NOT_LOOPBACK);
  expect(reply.json?.error).toContain(`listen address ${listen} `);
}

describe('which hosts are loopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['localhost', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['', false],
    ['0.0.0.0', false],
    ['::', false],
    ['10.0.0.1', false],
    ['192.168.1.20', false],
    ['fe80::1', false],
    ['example.com', false],
    ['localhost.example.com', false],
  ])('%j: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('a default server', () => {
  let toxiproxy: StartedToxiproxy;
  let echo: TcpServerFixture;
  const names = new Set<string>();
  const track = (prefix: string): string => {
    const name = uniqueName(prefix);
    names.add(name);
    return name;
  };

  beforeAll(async () => {
    toxiproxy = await startEmbeddedToxiproxy();
    echo = await startEchoServer();
  });
  afterEach(async () => {
    await Promise.all([...names].map((name) => call(toxiproxy.url, 'DELETE', `/proxies/${name}`)));
    names.clear();
  });
  afterAll(async () => {
    await echo.close();
    await toxiproxy.stop();
  });

  it('serves its API on loopback', () => {
    expect(toxiproxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it.each(['0.0.0.0:0', ':0', '[::]:0', '192.168.1.20:0', 'example.com:0'])(
    'refuses a proxy listening on %s, enabled or not, and creates nothing',
    async (listen) => {
      for (const enabled of [true, false]) {
        const name = track('open');
        const reply = await call(toxiproxy.url, 'POST', '/proxies', { name, listen, upstream: echo.address, enabled });
        expectRefused(reply, listen);
        expect(reply.contentType).toBe('text/plain; charset=utf-8');
        expect((await call(toxiproxy.url, 'GET', `/proxies/${name}`)).status).toBe(404);
      }
    },
  );

  it('refuses it through toxiproxy-node-client too', async () => {
    const client = new Toxiproxy(toxiproxy.url);
    await expect(client.createProxy({ name: track('client'), listen: '0.0.0.0:0', upstream: echo.address })).rejects.toThrow(
      'status code 400',
    );
  });

  it('takes every loopback spelling', async () => {
    const enabled = await call(toxiproxy.url, 'POST', '/proxies', { name: track('v4'), listen: `${LOOPBACK}:0`, upstream: echo.address });
    expect(enabled.status).toBe(201);
    // Created disabled: nothing binds, so this holds on a machine without IPv6 or 127.0.0.2 too.
    for (const listen of ['localhost:0', '[::1]:0', '127.0.0.2:0']) {
      const reply = await call(toxiproxy.url, 'POST', '/proxies', { name: track('lo'), listen, upstream: echo.address, enabled: false });
      expect(reply.status).toBe(201);
    }
  });

  it('refuses moving a proxy off loopback, and the proxy keeps working where it was', async () => {
    const name = track('move');
    const created = await call(toxiproxy.url, 'POST', '/proxies', { name, listen: `${LOOPBACK}:0`, upstream: echo.address });
    const listen = created.json?.listen;
    if (listen === undefined) throw new Error(`expected the created proxy's listen address, got ${created.text}`);
    expectRefused(await call(toxiproxy.url, 'POST', `/proxies/${name}`, { listen: '0.0.0.0:0' }), '0.0.0.0:0');
    expectRefused(await call(toxiproxy.url, 'PATCH', `/proxies/${name}`, { listen: ':0', enabled: false }), ':0');
    const after = await call(toxiproxy.url, 'GET', `/proxies/${name}`);
    expect(after.json).toMatchObject({ listen, enabled: true });
    const conn = await open(listen);
    try {
      expect(await roundTrip(conn, 'still on loopback')).toBeLessThan(1_000);
    } finally {
      conn.socket.destroy();
    }
  });

  it('refuses /populate with one open entry before creating any', async () => {
    const first = track('pop-ok');
    const reply = await call(toxiproxy.url, 'POST', '/populate', [
      { name: first, listen: `${LOOPBACK}:0`, upstream: echo.address },
      { name: track('pop-open'), listen: '0.0.0.0:0', upstream: echo.address },
    ]);
    expect(reply.status).toBe(400);
    expect(reply.contentType).toBe('application/json');
    expect(reply.json).toMatchObject({ status: 400, proxies: null });
    expect(reply.json?.error).toMatch(NOT_LOOPBACK);
    expect((await call(toxiproxy.url, 'GET', `/proxies/${first}`)).status).toBe(404);
  });

  it('will not serve its API off loopback unless allowed', async () => {
    await expect(startEmbeddedToxiproxy({ host: '0.0.0.0' })).rejects.toThrow(NonLoopbackHostError);
    await expect(startEmbeddedToxiproxy({ host: '0.0.0.0' })).rejects.toThrow(/API host 0\.0\.0\.0 is not loopback/);
  });
});

describe('a server started with allowNonLoopback', () => {
  it('takes a proxy on 0.0.0.0 (created disabled, so this test opens nothing)', async () => {
    await using toxiproxy = await startEmbeddedToxiproxy({ allowNonLoopback: true });
    expect(toxiproxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const reply = await call(toxiproxy.url, 'POST', '/proxies', {
      name: uniqueName('allowed'),
      listen: '0.0.0.0:0',
      upstream: `${LOOPBACK}:9`,
      enabled: false,
    });
    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({ listen: '0.0.0.0:0', enabled: false });
  });
});

describe('main.ts', () => {
  const { startMain } = trackMainProcesses();

  it('refuses --host 0.0.0.0 without --allow-non-loopback: exit 2 saying what is expected', async () => {
    const { exited, stderr } = startMain(['--host', '0.0.0.0']);
    expect(await within(STARTUP_MS, 'usage error exit', exited)).toEqual({ code: 2, signal: null });
    expect(stderr()).toMatch(/^--host 0\.0\.0\.0 is not loopback: expected 127\.0\.0\.1, ::1 or localhost, or add --allow-non-loopback\n/);
  });

  it('refuses a proxy on 0.0.0.0 by default, and takes one with --allow-non-loopback', async () => {
    const { url: strictUrl } = await startMain([]).announced(STARTUP_MS);
    expectRefused(
      await call(strictUrl, 'POST', '/proxies', {
        name: uniqueName('main'),
        listen: '0.0.0.0:0',
        upstream: `${LOOPBACK}:9`,
        enabled: false,
      }),
      '0.0.0.0:0',
    );

    const { url: openUrl } = await startMain(['--allow-non-loopback']).announced(STARTUP_MS);
    expect(openUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const reply = await call(openUrl, 'POST', '/proxies', {
      name: uniqueName('main'),
      listen: '0.0.0.0:0',
      upstream: `${LOOPBACK}:9`,
      enabled: false,
    });
    expect(reply.status).toBe(201);
  });
});
