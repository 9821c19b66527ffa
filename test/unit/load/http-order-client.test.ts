import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  InvalidOrderClientOptionsError,
  OrderRequestAbortedError,
  OrderRequestError,
  OrderRequestTimeoutError,
  createOrderClient,
} from '../../../load/http-order-client.ts';
import { startOrderServer, type StartedOrderServer } from './order-server.ts';

let server: StartedOrderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createOrderClient', () => {
  it('POSTs JSON to /orders and returns the status and parsed body', async () => {
    server = await startOrderServer();
    using client = createOrderClient({ baseUrl: server.url, maxSockets: 2, timeoutMs: 1000 });
    const response = await client.postOrder({ id: 'order-1-0', userId: 'u-1', items: [] });
    expect(response).toEqual({ status: 201, body: { id: 'order-1-0', status: 'accepted' } });
    expect(client.url.pathname).toBe('/orders');
  });

  it('returns error statuses instead of throwing', async () => {
    server = await startOrderServer();
    server.status = 503;
    using client = createOrderClient({ baseUrl: server.url, maxSockets: 1, timeoutMs: 1000 });
    expect((await client.postOrder({ id: 'x' })).status).toBe(503);
  });

  it('keeps connections alive: 30 sequential orders share one socket', async () => {
    server = await startOrderServer();
    using client = createOrderClient({ baseUrl: server.url, maxSockets: 4, timeoutMs: 1000 });
    for (let i = 0; i < 30; i++) await client.postOrder({ id: `order-1-${i}` });
    expect(new Set(server.received.map((r) => r.remotePort)).size).toBe(1);
  });

  it('gives up after its timeout with a named error', async () => {
    server = await startOrderServer(() => 2000);
    using client = createOrderClient({ baseUrl: server.url, maxSockets: 1, timeoutMs: 100 });
    const started = performance.now();
    await expect(client.postOrder({ id: 'slow' })).rejects.toThrow(OrderRequestTimeoutError);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('stops when its signal aborts', async () => {
    server = await startOrderServer(() => 2000);
    using client = createOrderClient({ baseUrl: server.url, maxSockets: 1, timeoutMs: 5000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(client.postOrder({ id: 'x' }, controller.signal)).rejects.toThrow(OrderRequestAbortedError);
    await expect(client.postOrder({ id: 'y' }, controller.signal)).rejects.toThrow(OrderRequestAbortedError);
  });

  it('reports a refused connection as an OrderRequestError', async () => {
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    using client = createOrderClient({ baseUrl: `http://127.0.0.1:${port}`, maxSockets: 1, timeoutMs: 1000 });
    await expect(client.postOrder({})).rejects.toThrow(OrderRequestError);
  });

  it('refuses bad options with what was expected', () => {
    expect(() => createOrderClient({ baseUrl: 'nope', maxSockets: 1, timeoutMs: 1 })).toThrow(InvalidOrderClientOptionsError);
    expect(() => createOrderClient({ baseUrl: 'ftp://x', maxSockets: 1, timeoutMs: 1 })).toThrow(/expected an http: or https: URL/);
    expect(() => createOrderClient({ baseUrl: 'http://x', maxSockets: 0, timeoutMs: 1 })).toThrow(/maxSockets: expected an integer >= 1/);
  });
});
