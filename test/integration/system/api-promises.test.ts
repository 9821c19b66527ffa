import amqp from 'amqplib';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { QUEUES } from '../../../system/amqp/topology.ts';
import { messageIds } from '../../../system/messages.ts';
import { until } from '../../support/deadlines.ts';
import { apiAlone } from '../../support/api-alone.ts';

// Does the API promise (202) only what the system can keep? Orders beyond the workers' bounds get
// a 400, concurrent requests for one order id publish it once, and odd paths get a 4xx, never a 500.
// The API alone, no workers: whatever it publishes stays in the queue where the test can count it.
/** Short, so an order blocked by the memory alarm gets its 503 quickly. */
const CONFIRM_TIMEOUT_MS = 1_500;
const system = apiAlone('api-promises', { confirmTimeoutMs: CONFIRM_TIMEOUT_MS });
const queueDepth = () => system.queueDepth();
/** The API's publish attempts, all or for one order. */
const publishAttempts = (orderId?: string) =>
  system.publishAttempts(orderId === undefined ? undefined : `"id":"${messageIds.orderCreated(orderId)}"`);

const post = (body: unknown) =>
  fetch(`${system.apiUrl}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const items = (n: number, quantity: number, price: number) =>
  Array.from({ length: n }, (_, k) => ({ productId: `p-${k}`, quantity, price }));

/** A raw request: the path goes out exactly as written (fetch would normalise it). */
function raw(method: string, path: string): Promise<{ status: number; allow: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(system.apiUrl);
    const req = request({ host: url.hostname, port: url.port, method, path }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode!, allow: res.headers.allow, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('orders beyond the bounds the workers accept', () => {
  it.each([
    ['price 1e15', { userId: 'u', items: items(1, 1, 1e15) }, /items\[0\]\.price: expected a price of at most 1000000\.00/],
    ['price 1e306 x 10,000', { userId: 'u', items: items(1, 10_000, 1e306) }, /items\[0\]\.price: expected a price of at most 1000000\.00/],
    ['quantity 10,001', { userId: 'u', items: items(1, 10_001, 1) }, /items\[0\]\.quantity: expected at most 10000/],
    ['101 items', { userId: 'u', items: items(101, 1, 1) }, /items: expected at most 100 items/],
    [
      'total 1,000,000.00 x 11',
      { userId: 'u', items: items(1, 11, 1_000_000) },
      /total: expected an order total .* at most 10000000\.00, got 11000000\.00/,
    ],
    [
      '100 items at the price bound x 10,000',
      { userId: 'u', items: items(100, 10_000, 1_000_000) },
      /total: expected an order total .* at most 10000000\.00/,
    ],
  ])('%s: 400 naming the bound', async (_name, body, message) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toMatch(message);
  });

  it('published none of them', async () => {
    expect(publishAttempts()).toBe(0);
    expect(await queueDepth()).toBe(0);
  });

  it('accepts an order exactly at the total bound (so the refusals above could have been 202s)', async () => {
    const response = await post({ id: 'at-the-bound', userId: 'u', items: items(1, 10, 1_000_000) });
    expect(response.status).toBe(202);
    expect(publishAttempts('at-the-bound')).toBe(1);
    expect(await queueDepth()).toBe(1);
  });
});

describe('concurrent requests for one order id', () => {
  it('8 bodies at once: exactly one 202 and one publish, seven 409; the stored order is the published one', async () => {
    const depth = await queueDepth();
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, k) => post({ id: 'race-bodies', userId: `user-${k}`, items: items(1, 1, 1) })),
    );
    const statuses = responses.map((r) => r.status);
    expect([...statuses].sort()).toEqual([202, 409, 409, 409, 409, 409, 409, 409]);
    expect(publishAttempts('race-bodies')).toBe(1);
    expect(await queueDepth()).toBe(depth + 1);

    const winner = statuses.indexOf(202);
    const stored = (await (await fetch(`${system.apiUrl}/orders/race-bodies`)).json()) as { userId: string };
    expect(stored.userId).toBe(`user-${winner}`);
    const connection = await amqp.connect(system.node.amqpUrl());
    try {
      const channel = await connection.createChannel();
      const published = [];
      for (let msg = await channel.get(QUEUES.orderCreated); msg; msg = await channel.get(QUEUES.orderCreated))
        published.push(JSON.parse(msg.content.toString()) as { orderId: string; userId: string });
      expect(published.filter((o) => o.orderId === 'race-bodies').map((o) => o.userId)).toEqual([`user-${winner}`]);
      await channel.nackAll(true);
    } finally {
      await connection.close();
    }
  });

  it('8 copies of one body at once: eight 202 (seven duplicates) and one publish; a later retry publishes nothing', async () => {
    const body = { id: 'race-same', userId: 'u', items: items(2, 3, 4.5) };
    const responses = await Promise.all(Array.from({ length: 8 }, () => post(body)));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(202));
    const answers = (await Promise.all(responses.map((r) => r.json()))) as { duplicate?: boolean }[];
    expect(answers.filter((a) => a.duplicate === true)).toHaveLength(7);
    expect(publishAttempts('race-same')).toBe(1);

    expect(await (await post(body)).json()).toMatchObject({ orderId: 'race-same', duplicate: true });
    expect(publishAttempts('race-same')).toBe(1);
  });

  it('a retry after a 503 (no confirm: memory alarm) publishes again, and is accepted once the alarm clears', async () => {
    const body = { id: 'retry-after-503', userId: 'u', items: items(1, 1, 9.99) };
    await system.node.ctl('set_vm_memory_high_watermark', '0.000001');
    try {
      // Concurrent copies share the one attempt's answer.
      const first = await Promise.all(Array.from({ length: 3 }, () => post(body)));
      expect(first.map((r) => r.status)).toEqual([503, 503, 503]);
      expect(await first[0]!.json()).toMatchObject({ outcome: 'info' });
      expect(publishAttempts('retry-after-503')).toBe(1);
      // In doubt: the id stays bound to its body.
      expect((await post({ ...body, userId: 'someone-else' })).status).toBe(409);
    } finally {
      await system.node.ctl('set_vm_memory_high_watermark', '0.4');
    }
    const retry = await until(
      'the retry accepted once the alarm cleared',
      async () => {
        const response = await post(body);
        return response.status === 202 ? response : undefined;
      },
      30_000,
      500,
    );
    expect(await retry.json()).toEqual({ orderId: 'retry-after-503', status: 'accepted' });
    expect(publishAttempts('retry-after-503')).toBeGreaterThanOrEqual(2);
  });
});

describe('odd paths and methods get a 4xx naming what was expected, never a 500', () => {
  it.each([
    ['GET', '/orders/%ZZ', 400, undefined, /not valid percent-encoding/],
    ['GET', '/orders/%E0%A4%A', 400, undefined, /not valid percent-encoding/],
    ['GET', '/orders/a%2Fb', 400, undefined, /expected 1-128 characters/],
    ['GET', `/orders/${'x'.repeat(129)}`, 400, undefined, /expected 1-128 characters/],
    ['GET', '/orders/no-such-order', 404, undefined, /not found/],
    ['POST', '/health', 405, 'GET, HEAD', /expected GET \/health/],
    ['DELETE', '/health', 405, 'GET, HEAD', /expected GET \/health/],
    ['PUT', '/orders/x', 405, 'GET, HEAD', /expected GET \/orders\/:id/],
    ['DELETE', '/orders/x', 405, 'GET, HEAD', /expected GET \/orders\/:id/],
    ['GET', '/orders', 405, 'POST', /expected POST \/orders/],
    ['OPTIONS', '/orders', 405, 'POST', /expected POST \/orders/],
    ['POST', '/metrics', 405, 'GET', /expected GET \/metrics/],
    ['GET', '//orders', 404, undefined, /no route for GET \/\/orders/],
    ['GET', '/nothing-here', 404, undefined, /expected POST \/orders, GET \/orders\/:id, GET \/health/],
  ])('%s %s: %i', async (method, path, status, allow, message) => {
    const response = await raw(method, path);
    expect(response.status).toBe(status);
    expect(response.allow).toBe(allow);
    expect(response.body).toMatch(message);
  });

  it('HEAD answers like GET without a body', async () => {
    expect(await raw('HEAD', '/health')).toMatchObject({ status: 200, body: '' });
    expect(await raw('HEAD', '/orders/race-same')).toMatchObject({ status: 200, body: '' });
  });

  it('GET /health and GET /orders/:id still answer', async () => {
    expect((await raw('GET', '/health')).status).toBe(200);
    expect(JSON.parse((await raw('GET', '/orders/race-same')).body)).toMatchObject({ id: 'race-same', status: 'accepted' });
  });
});
