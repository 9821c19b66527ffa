import { describe, expect, it } from 'vitest';
import { InvalidOrderError, parseOrderRequest, toOrderCreated } from '../../../system/api/order-request.ts';

const valid = { userId: 'u1', items: [{ productId: 'p-1', quantity: 2, price: 29.99 }] };

function problemsOf(body: unknown): string[] {
  try {
    parseOrderRequest(typeof body === 'string' ? body : JSON.stringify(body));
  } catch (err) {
    if (err instanceof InvalidOrderError) return err.problems;
    throw err;
  }
  throw new Error('expected the order to be refused');
}

describe('order request validation', () => {
  it('accepts a valid order, with or without a client id', () => {
    expect(parseOrderRequest(JSON.stringify(valid))).toEqual(valid);
    expect(parseOrderRequest(JSON.stringify({ ...valid, id: 'order-1.a:b_c' })).id).toBe('order-1.a:b_c');
  });

  it('names each problem with its path', () => {
    expect(problemsOf('{"userId": ')).toEqual([expect.stringMatching(/^body is not valid JSON .*expected \{"userId"/)]);
    expect(problemsOf({ items: valid.items })).toEqual([expect.stringMatching(/^userId: /)]);
    expect(problemsOf({ userId: 'u1', items: [] })).toEqual(['items: expected at least 1 item']);
    expect(problemsOf({ userId: 'u1', items: [{ productId: 'p-1', quantity: -1, price: 1 }] })).toEqual([
      'items[0].quantity: expected an integer > 0',
    ]);
    expect(problemsOf({ userId: 'u1', items: [{ productId: 'p-1', quantity: 1.5, price: 1 }] })).toEqual([
      expect.stringMatching(/^items\[0\]\.quantity: .*int/),
    ]);
    expect(problemsOf({ userId: 'u1', items: [{ productId: 'p-1', quantity: 1, price: -0.01 }] })).toEqual([
      expect.stringMatching(/^items\[0\]\.price: /),
    ]);
    expect(problemsOf({ userId: 'u1', items: [{ productId: 'p-1', quantity: 1, price: 1.001 }] })).toEqual([
      'items[0].price: expected a price with at most 2 decimal places',
    ]);
    expect(problemsOf({ ...valid, extra: true })).toEqual([expect.stringMatching(/^body: Unrecognized key: "extra"/)]);
    expect(problemsOf({ ...valid, id: 'has space' })).toEqual([expect.stringMatching(/^id: expected 1-128 characters/)]);
    expect(problemsOf([valid])).toEqual([expect.stringMatching(/^body: .*object/)]);
  });

  it('computes totals in integer cents', () => {
    const order = toOrderCreated(
      'o1',
      {
        userId: 'u',
        items: [
          { productId: 'a', quantity: 3, price: 0.1 },
          { productId: 'b', quantity: 1, price: 29.99 },
        ],
      },
      0,
    );
    expect(order.items.map((i) => i.priceCents)).toEqual([10, 2999]);
    expect(order.totalCents).toBe(3029);
  });
});
