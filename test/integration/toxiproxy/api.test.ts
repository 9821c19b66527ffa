// Does the HTTP API answer every call exactly like Toxiproxy 2.12: statuses, bodies, defaults, errors?
// The client is used wherever it can express the call; plain fetch checks the raw bodies and the calls
// the client cannot make (partial PATCH, broken bodies, a browser User-Agent).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Toxiproxy, ToxiproxyError, type Proxy } from 'toxiproxy-node-client';
import { startEmbeddedToxiproxy, type StartedToxiproxy } from '../../../chaos/toxiproxy/index.ts';
import {
  createProxy,
  LOOPBACK,
  open,
  rawCall,
  roundTrip,
  startEchoServer,
  uniqueName,
  within,
  type RawReply,
  type Recorder,
  type TcpServerFixture,
} from './support.ts';

const FAST_MS = 150;

let toxiproxy: StartedToxiproxy;
let client: Toxiproxy;
let echo: TcpServerFixture;
const proxyNames = new Set<string>();
const recorders = new Set<Recorder>();

beforeAll(async () => {
  toxiproxy = await startEmbeddedToxiproxy();
  client = new Toxiproxy(toxiproxy.url);
  echo = await startEchoServer();
});

afterAll(async () => {
  await echo.close();
  await toxiproxy.stop();
});

afterEach(async () => {
  for (const recorder of recorders) recorder.socket.destroy();
  recorders.clear();
  await Promise.all([...proxyNames].map((name) => call('DELETE', `/proxies/${name}`)));
  proxyNames.clear();
});

/** A raw call to this file's server. */
function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawReply> {
  return rawCall(toxiproxy.url, method, path, body, headers);
}

async function newProxy(prefix: string, upstream = echo.address): Promise<Proxy> {
  const proxy = await createProxy(client, prefix, upstream);
  proxyNames.add(proxy.name);
  return proxy;
}

function track(name: string): string {
  proxyNames.add(name);
  return name;
}

async function openThrough(listen: string): Promise<Recorder> {
  const recorder = await open(listen);
  recorders.add(recorder);
  return recorder;
}

it('GET /version reports 2.12.0', async () => {
  expect(JSON.parse(await client.getVersion())).toEqual({ version: '2.12.0' });
});

describe('proxies', () => {
  it('are created on a free port when listen asks for port 0, and the reply shows the real port', async () => {
    const name = track(uniqueName('created'));
    const reply = await call('POST', '/proxies', { name, listen: `${LOOPBACK}:0`, upstream: echo.address });
    expect(reply.status).toBe(201);
    expect(reply.contentType).toBe('application/json');
    const body = reply.json as { listen: string };
    expect(body).toEqual({ name, listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/), upstream: echo.address, enabled: true, toxics: [] });
    expect(body.listen).not.toBe(`${LOOPBACK}:0`);
    const conn = await openThrough(body.listen);
    expect(await roundTrip(conn, 'through')).toBeLessThan(FAST_MS);
  });

  it('are listed, shown, updated (POST with all fields, PATCH with some) and deleted', async () => {
    const proxy = await newProxy('crud');
    const all = await client.getAll();
    expect(all[proxy.name]?.toJson()).toEqual(proxy.toJson());
    const listed = (await call('GET', '/proxies')).json as Record<string, unknown>;
    expect(listed[proxy.name]).toEqual({ ...proxy.toJson(), toxics: [] });

    const shown = await client.get(proxy.name);
    expect(shown.toJson()).toEqual(proxy.toJson());

    const disabled = await proxy.update({ ...proxy.toJson(), enabled: false });
    expect(disabled.toJson()).toEqual({ ...proxy.toJson(), enabled: false });

    const patched = await call('PATCH', `/proxies/${proxy.name}`, { enabled: true });
    expect(patched.status).toBe(200);
    expect(patched.json).toEqual({ ...proxy.toJson(), enabled: true, toxics: [] });

    const deleted = await call('DELETE', `/proxies/${proxy.name}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    await expect(client.get(proxy.name)).rejects.toThrow('Request failed with status code 404');
  });

  it('created disabled keep their listen address as given until enabled', async () => {
    const name = track(uniqueName('dormant'));
    const created = await client.createProxy({ name, listen: 'localhost:0', upstream: echo.address, enabled: false });
    expect(created.toJson()).toEqual({ name, listen: 'localhost:0', upstream: echo.address, enabled: false });
    const enabled = await created.update({ ...created.toJson(), enabled: true });
    expect(enabled.listen).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe('toxics', () => {
  it('default to name <type>_<stream>, the downstream stream and toxicity 1', async () => {
    const proxy = await newProxy('defaults');
    const reply = await call('POST', `/proxies/${proxy.name}/toxics`, { type: 'latency', attributes: { latency: 10 } });
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      attributes: { latency: 10, jitter: 0 },
      name: 'latency_downstream',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
    });
    const up = await call('POST', `/proxies/${proxy.name}/toxics`, { type: 'slicer', stream: 'upstream' });
    expect(up.json).toEqual({
      attributes: { average_size: 0, size_variation: 0, delay: 0 },
      name: 'slicer_upstream',
      type: 'slicer',
      stream: 'upstream',
      toxicity: 1,
    });
  });

  it('are listed upstream first, shown, updated (type and stream never change) and deleted', async () => {
    const proxy = await newProxy('toxic-crud');
    const down = await proxy.addToxic({
      name: 'lag',
      type: 'latency',
      stream: 'downstream',
      toxicity: 0.5,
      attributes: { latency: 100, jitter: 5 },
    });
    await proxy.addToxic({ name: 'cap', type: 'limit_data', stream: 'upstream', toxicity: 1, attributes: { bytes: 42 } });
    const listed = await call('GET', `/proxies/${proxy.name}/toxics`);
    expect((listed.json as Array<{ name: string }>).map((toxic) => toxic.name)).toEqual(['cap', 'lag']);
    expect(((await call('GET', `/proxies/${proxy.name}`)).json as { toxics: unknown[] }).toxics).toEqual(listed.json);

    const shown = await proxy.getToxic('lag');
    expect(shown.toJson()).toEqual(down.toJson());

    const updated = await down.update({
      ...down.toJson(),
      type: 'timeout',
      stream: 'upstream',
      toxicity: 1,
      attributes: { latency: 300, jitter: 5 },
    } as never);
    expect(updated.toJson()).toEqual({
      name: 'lag',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 300, jitter: 5 },
    });

    const partial = await call('PATCH', `/proxies/${proxy.name}/toxics/lag`, { attributes: { jitter: 9 } });
    expect(partial.json).toEqual({
      attributes: { latency: 300, jitter: 9 },
      name: 'lag',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
    });

    await updated.remove();
    await (await proxy.getToxic('cap')).remove();
    expect((await call('GET', `/proxies/${proxy.name}/toxics`)).json).toEqual([]);
  });
});

describe('errors', () => {
  /** Toxiproxy writes API errors with Go's http.Error: JSON text, text/plain, trailing newline. */
  function expectApiError(reply: RawReply, status: number, error: string | RegExp): void {
    expect(reply.status).toBe(status);
    expect(reply.contentType).toBe('text/plain; charset=utf-8');
    expect(reply.text.endsWith('\n')).toBe(true);
    const body = reply.json as { error: string; status: number };
    expect(body.status).toBe(status);
    if (typeof error === 'string') expect(body.error).toBe(error);
    else expect(body.error).toMatch(error);
  }

  it('404 proxy not found, for every proxy route', async () => {
    await expect(client.get(uniqueName('missing'))).rejects.toBeInstanceOf(ToxiproxyError);
    const missing = uniqueName('missing');
    for (const [method, path, body] of [
      ['GET', `/proxies/${missing}`],
      ['POST', `/proxies/${missing}`, { enabled: false }],
      ['DELETE', `/proxies/${missing}`],
      ['GET', `/proxies/${missing}/toxics`],
      ['POST', `/proxies/${missing}/toxics`, { type: 'latency' }],
      ['GET', `/proxies/${missing}/toxics/any`],
      ['DELETE', `/proxies/${missing}/toxics/any`],
    ] as const) {
      expectApiError(await call(method, path, body), 404, 'proxy not found');
    }
  });

  it('409 proxy already exists', async () => {
    const proxy = await newProxy('twice');
    await expect(client.createProxy({ name: proxy.name, listen: `${LOOPBACK}:0`, upstream: echo.address })).rejects.toThrow(
      'status code 409',
    );
    expectApiError(
      await call('POST', '/proxies', { name: proxy.name, listen: `${LOOPBACK}:0`, upstream: echo.address }),
      409,
      'proxy already exists',
    );
  });

  it('400 for a missing name or upstream and for a body that is not valid JSON of the right shape', async () => {
    expectApiError(
      await call('POST', '/proxies', { listen: `${LOOPBACK}:0`, upstream: echo.address }),
      400,
      'missing required field: name',
    );
    expectApiError(
      await call('POST', '/proxies', { name: uniqueName('no-upstream'), listen: `${LOOPBACK}:0` }),
      400,
      'missing required field: upstream',
    );
    expectApiError(await call('POST', '/proxies', '{"name": '), 400, /^bad request body: /);
    expectApiError(await call('POST', '/proxies', ''), 400, 'bad request body: EOF');
    expectApiError(
      await call('POST', '/proxies', { name: 5, upstream: echo.address }),
      400,
      /^bad request body: json: cannot unmarshal number/,
    );
    const proxy = await newProxy('bad-bodies');
    expectApiError(await call('POST', `/proxies/${proxy.name}`, 'nope'), 400, /^bad request body: /);
    expectApiError(await call('POST', `/proxies/${proxy.name}/toxics`, '[1,'), 400, /^bad request body: /);
    expectApiError(
      await call('POST', `/proxies/${proxy.name}/toxics`, { type: 'latency', attributes: { latency: 'slow' } }),
      400,
      /^bad request body: json: cannot unmarshal string/,
    );
  });

  it('400 invalid toxic type (including "down") and invalid stream', async () => {
    const proxy = await newProxy('bad-toxic');
    for (const type of ['nope', 'down', '']) {
      expectApiError(await call('POST', `/proxies/${proxy.name}/toxics`, { type, attributes: {} }), 400, 'invalid toxic type');
    }
    await expect(proxy.addToxic({ name: 'x', type: 'down', stream: 'downstream', toxicity: 1, attributes: {} })).rejects.toThrow(
      'status code 400',
    );
    expectApiError(
      await call('POST', `/proxies/${proxy.name}/toxics`, { type: 'latency', stream: 'sideways' }),
      400,
      'stream was invalid, can be either upstream or downstream',
    );
  });

  it('409 toxic already exists, in either direction', async () => {
    const proxy = await newProxy('dup-toxic');
    await proxy.addToxic({ name: 'same', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1, jitter: 0 } });
    await expect(
      proxy.addToxic({ name: 'same', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1, jitter: 0 } }),
    ).rejects.toThrow('status code 409');
    expectApiError(
      await call('POST', `/proxies/${proxy.name}/toxics`, { name: 'same', type: 'timeout', stream: 'upstream' }),
      409,
      'toxic already exists',
    );
  });

  it('404 toxic not found, for show, update and delete', async () => {
    const proxy = await newProxy('no-toxic');
    await expect(proxy.getToxic('ghost')).rejects.toThrow('status code 404');
    expectApiError(await call('GET', `/proxies/${proxy.name}/toxics/ghost`), 404, 'toxic not found');
    expectApiError(await call('POST', `/proxies/${proxy.name}/toxics/ghost`, { attributes: {} }), 404, 'toxic not found');
    expectApiError(await call('PATCH', `/proxies/${proxy.name}/toxics/ghost`, ''), 404, 'toxic not found');
    expectApiError(await call('DELETE', `/proxies/${proxy.name}/toxics/ghost`), 404, 'toxic not found');
  });

  it('403 for a browser User-Agent', async () => {
    const reply = await call('GET', '/proxies', undefined, { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64)' });
    expect(reply.status).toBe(403);
    expect(reply.text).toBe('User agent not allowed\n');
    expect((await call('GET', '/version', undefined, { 'User-Agent': 'Mozilla/5.0' })).status).toBe(403);
  });

  it("500 when the listen address is taken, with Go's message", async () => {
    const name = uniqueName('taken');
    const reply = await call('POST', '/proxies', { name, listen: echo.address, upstream: echo.address });
    expectApiError(reply, 500, `listen tcp ${echo.address}: bind: address already in use`);
    expectApiError(await call('GET', `/proxies/${name}`), 404, 'proxy not found');
  });

  it('404 for unknown paths and 405 for a known path with the wrong method', async () => {
    const unknown = await call('GET', '/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('404 page not found\n');
    const wrongMethod = await call('PUT', '/proxies');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.text).toBe('');
  });
});

describe('POST /populate', () => {
  it('creates proxies and answers 201 with {"proxies": [...]}', async () => {
    const [a, b] = [track(uniqueName('pop-a')), track(uniqueName('pop-b'))];
    const created = await client.populate([
      { name: a, listen: `${LOOPBACK}:0`, upstream: echo.address },
      { name: b, listen: `${LOOPBACK}:0`, upstream: echo.address, enabled: false },
    ]);
    expect(created[a]?.enabled).toBe(true);
    expect(created[a]?.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(created[b]?.enabled).toBe(false);
    const conn = await openThrough(created[a]?.listen ?? '');
    expect(await roundTrip(conn, 'populated')).toBeLessThan(FAST_MS);

    const raw = await call('POST', '/populate', [{ name: track(uniqueName('pop-c')), listen: `${LOOPBACK}:0`, upstream: echo.address }]);
    expect(raw.status).toBe(201);
    expect(raw.contentType).toBe('application/json');
    expect((raw.json as { proxies: Array<{ toxics: unknown[] }> }).proxies[0]?.toxics).toEqual([]);
  });

  it('leaves a proxy with the same listen and upstream alone and replaces one that differs', async () => {
    const kept = await newProxy('pop-kept');
    const moved = await newProxy('pop-moved');
    await kept.addToxic({ name: 'stays', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1, jitter: 0 } });
    const keptConn = await openThrough(kept.listen);
    const movedConn = await openThrough(moved.listen);
    const other = await startEchoServer();
    try {
      const reply = await call('POST', '/populate', [
        { name: kept.name, listen: kept.listen, upstream: kept.upstream },
        { name: moved.name, listen: moved.listen, upstream: other.address },
      ]);
      expect(reply.status).toBe(201);
      const [first, second] = (reply.json as { proxies: Array<{ name: string; upstream: string; toxics: unknown[] }> }).proxies;
      expect(first).toMatchObject({ name: kept.name, upstream: kept.upstream, toxics: [expect.objectContaining({ name: 'stays' })] });
      expect(second).toMatchObject({ name: moved.name, upstream: other.address, toxics: [] });
      expect(await roundTrip(keptConn, 'still here')).toBeLessThan(FAST_MS);
      await within(2_000, 'replaced proxy drops its connection', movedConn.ended);
      const fresh = await openThrough(moved.listen);
      expect(await roundTrip(fresh, 'new upstream')).toBeLessThan(FAST_MS);
      expect(other.sockets.size).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('checks every entry before creating any: 400 with "proxies": null', async () => {
    const first = uniqueName('pop-first');
    const reply = await call('POST', '/populate', [
      { name: track(first), listen: `${LOOPBACK}:0`, upstream: echo.address },
      { name: track(uniqueName('pop-second')), listen: `${LOOPBACK}:0` },
    ]);
    expect(reply.status).toBe(400);
    expect(reply.contentType).toBe('application/json');
    expect(reply.json).toEqual({ error: 'missing required field: upstream at proxy 2', status: 400, proxies: null });
    expect((await call('GET', `/proxies/${first}`)).status).toBe(404);
    const notArray = await call('POST', '/populate', { name: 'x' });
    expect(notArray.status).toBe(400);
    expect((notArray.json as { error: string }).error).toMatch(/^bad request body: /);
  });
});
