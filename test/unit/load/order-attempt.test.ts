import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isRetryable } from '../../../load/client-retry.ts';
import { createOrderClient } from '../../../load/http-order-client.ts';
import { classifyResponse, sendOrderAttempt } from '../../../load/order-attempt.ts';
import { orderBody } from '../../../load/order-body.ts';
import { startFlakyOrderServer, type StartedFlakyOrderServer } from './flaky-order-server.ts';

let server: StartedFlakyOrderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('classifyResponse', () => {
  it.each([
    [202, undefined, 'ok'],
    [201, undefined, 'ok'],
    [400, undefined, 'fail'],
    [409, undefined, 'fail'],
    [503, { outcome: 'fail' }, 'fail'],
    [503, { outcome: 'info' }, 'info'],
    [500, { error: 'boom' }, 'info'],
  ])('HTTP %i %j -> %s', (status, body, outcome) => {
    expect(classifyResponse({ status, body })).toBe(outcome);
  });
});

describe('sendOrderAttempt', () => {
  it('reports a 503 "not taken" as fail, yet retryable', async () => {
    server = await startFlakyOrderServer(() => ({ status: 503, body: { error: 'broker unavailable', outcome: 'fail' } }));
    using client = createOrderClient({ baseUrl: server.url, maxSockets: 1, timeoutMs: 1000 });
    const result = await sendOrderAttempt(client, orderBody(1, 0));
    expect(result).toMatchObject({
      outcome: 'fail',
      status: 503,
      error: 'HTTP 503: broker unavailable',
      answer: { kind: 'response', status: 503 },
    });
    expect(isRetryable(result.answer)).toBe(true);
  });

  it('reports a refused connection as fail with no response: retryable', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    using client = createOrderClient({ baseUrl: `http://127.0.0.1:${port}`, maxSockets: 1, timeoutMs: 1000 });
    const result = await sendOrderAttempt(client, orderBody(1, 0));
    expect(result).toMatchObject({ outcome: 'fail', answer: { kind: 'no-response' } });
    expect(isRetryable(result.answer)).toBe(true);
  });

  it('reports an attempt the caller aborted as info, not retryable', async () => {
    server = await startFlakyOrderServer(() => ({ status: 202, delayMs: 500 }));
    using client = createOrderClient({ baseUrl: server.url, maxSockets: 1, timeoutMs: 1000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const result = await sendOrderAttempt(client, orderBody(1, 0), controller.signal);
    expect(result).toMatchObject({ outcome: 'info', answer: { kind: 'aborted' } });
    expect(isRetryable(result.answer)).toBe(false);
  });
});
