import { describe, expect, it } from 'vitest';
import { apiAlone } from '../../support/api-alone.ts';

// The API alone, no workers: whatever it publishes stays in the queue where the test can count it.
const system = apiAlone('api-validation');
const queueDepth = () => system.queueDepth();
const publishAttempts = () => system.publishAttempts();

const post = (body: string | Buffer, contentType = 'application/json') =>
  fetch(`${system.apiUrl}/orders`, { method: 'POST', headers: { 'content-type': contentType }, body });
const validOrder = { userId: 'u1', items: [{ productId: 'p-1', quantity: 2, price: 29.99 }] };

describe('POST /orders refuses bad input and publishes nothing', () => {
  it.each([
    ['malformed JSON', '{"userId": "u1", "items": [', /body is not valid JSON/],
    ['missing fields', JSON.stringify({ items: validOrder.items }), /userId/],
    ['missing items', JSON.stringify({ userId: 'u1' }), /items/],
    ['negative quantity', JSON.stringify({ userId: 'u1', items: [{ productId: 'p-1', quantity: -3, price: 1 }] }), /items\[0\]\.quantity/],
    ['negative price', JSON.stringify({ userId: 'u1', items: [{ productId: 'p-1', quantity: 1, price: -1 }] }), /items\[0\]\.price/],
    ['unknown field', JSON.stringify({ ...validOrder, coupon: 'FREE' }), /Unrecognized key.*coupon/],
    [
      'a 1 MB body',
      JSON.stringify({ ...validOrder, userId: 'x'.repeat(1024 * 1024) }),
      /body too large: \d+ bytes, expected at most 65536/,
    ],
  ])('%s: 400 naming the problem', async (_name, body, message) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    expect(JSON.stringify(await response.json())).toMatch(message);
  });

  it('refuses a body that is not JSON by content type', async () => {
    const response = await post(JSON.stringify(validOrder), 'text/plain');
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toMatch(/expected Content-Type: application\/json/);
  });

  it('reached the broker with none of them', async () => {
    expect(await queueDepth()).toBe(0);
    expect(publishAttempts()).toBe(0);
  });

  it('publishes a valid order once confirmed (so the checks above could have failed)', async () => {
    const response = await post(JSON.stringify({ ...validOrder, id: 'order-a' }));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ orderId: 'order-a', status: 'accepted' });
    expect(await queueDepth()).toBe(1);
    expect(publishAttempts()).toBe(1);
  });

  it('makes a retry with the same id idempotent, and refuses the same id with another body', async () => {
    const retry = await post(JSON.stringify({ ...validOrder, id: 'order-a' }));
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ orderId: 'order-a', duplicate: true });
    const conflict = await post(JSON.stringify({ ...validOrder, id: 'order-a', userId: 'someone-else' }));
    expect(conflict.status).toBe(409);
    expect(await queueDepth()).toBe(1);
  });

  it('shows an order by id, and 404 for an unknown one', async () => {
    const found = await fetch(`${system.apiUrl}/orders/order-a`);
    expect(found.status).toBe(200);
    expect(await found.json()).toMatchObject({ id: 'order-a', status: 'accepted', totalCents: 5998 });
    expect((await fetch(`${system.apiUrl}/orders/nope`)).status).toBe(404);
  });
});
