import { describe, expect, it } from 'vitest';
import { orderBody } from '../../../load/order-body.ts';
import { seededRandom } from '../../../load/seeded-random.ts';
import { InvalidOrderError, parseOrderRequest, toOrderCreated } from '../../../system/api/order-request.ts';
import { orderCreatedSchema, paymentRequestSchema } from '../../../system/messages.ts';
import { MAX_ID_LENGTH, MAX_ITEM_QUANTITY, MAX_ORDER_ITEMS, MAX_ORDER_TOTAL_CENTS, MAX_PRICE_CENTS } from '../../../system/order-bounds.ts';

// Does the API ever promise (202) an order the workers would dead-letter as poison? Every body the
// API's schema accepts must become an order.created (and a payment request) the workers' schemas accept.

type Body = { id?: string; userId: string; items: { productId: string; quantity: number; price: number }[] };

const MAX_PRICE = MAX_PRICE_CENTS / 100;
const PRICES = [0, 0.01, 0.1, 0.29, 1, 29.99, 999_999.99, MAX_PRICE, MAX_PRICE + 0.01, 1e7, 1e15, 1e306, 1.001, 5e-324, -0.01];
const QUANTITIES = [1, 2, 100, MAX_ITEM_QUANTITY - 1, MAX_ITEM_QUANTITY, MAX_ITEM_QUANTITY + 1, 1.5, 0];
const ITEM_COUNTS = [1, 2, 10, MAX_ORDER_ITEMS, MAX_ORDER_ITEMS + 1];
const IDS = [undefined, 'o', 'x'.repeat(MAX_ID_LENGTH), 'x'.repeat(MAX_ID_LENGTH + 1)];

/** null when the API refuses the body, else what the workers think of what it would publish. */
function workersVerdict(body: Body): null | { orderCreated: boolean; payment: boolean; problems: string } {
  let request;
  try {
    request = parseOrderRequest(JSON.stringify(body));
  } catch (err) {
    if (err instanceof InvalidOrderError) return null;
    throw err;
  }
  const order = toOrderCreated(request.id ?? 'a-uuid-sized-order-id-0000000000000000', request, Date.now());
  const created = orderCreatedSchema.safeParse(order);
  const payment = paymentRequestSchema.safeParse({
    orderId: order.orderId,
    userId: order.userId,
    amountCents: order.totalCents,
    productIds: order.items.map((i) => i.productId),
  });
  return {
    orderCreated: created.success,
    payment: payment.success,
    problems: JSON.stringify([created.error?.issues, payment.error?.issues]),
  };
}

function expectWorkersAccept(body: Body): boolean {
  const verdict = workersVerdict(body);
  if (verdict === null) return false;
  expect(verdict, `API accepted ${JSON.stringify(body).slice(0, 200)} but the workers refuse it: ${verdict.problems}`).toMatchObject({
    orderCreated: true,
    payment: true,
  });
  return true;
}

function problemsOf(body: unknown): string[] {
  try {
    parseOrderRequest(JSON.stringify(body));
  } catch (err) {
    if (err instanceof InvalidOrderError) return err.problems;
    throw err;
  }
  throw new Error(`expected the API to refuse ${JSON.stringify(body).slice(0, 200)}`);
}

const items = (n: number, quantity: number, price: number) =>
  Array.from({ length: n }, (_, k) => ({ productId: `p-${k}`, quantity, price }));

describe('one set of order bounds for the API and the workers', () => {
  it('keeps every bounded total exact in integer cents', () => {
    expect(MAX_ORDER_ITEMS * MAX_ITEM_QUANTITY * MAX_PRICE_CENTS).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
    expect(MAX_ORDER_TOTAL_CENTS).toBeLessThanOrEqual(Number.MAX_SAFE_INTEGER);
  });

  it('every edge-value body the API accepts, the workers accept', () => {
    let accepted = 0;
    let refused = 0;
    for (const price of PRICES)
      for (const quantity of QUANTITIES)
        for (const count of ITEM_COUNTS)
          for (const id of IDS) {
            const body: Body = { ...(id !== undefined ? { id } : {}), userId: 'u-1', items: items(count, quantity, price) };
            if (expectWorkersAccept(body)) accepted++;
            else refused++;
          }
    // Both sides of the property were exercised.
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(100);
  });

  it('random orders around the bounds: accepted ones are accepted downstream', () => {
    const random = seededRandom(9);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
    const nearBound = (max: number) => Math.max(0, Math.round(max * (0.5 + random())));
    let accepted = 0;
    for (let k = 0; k < 3_000; k++) {
      const count = pick([1, 2, 3, nearBound(MAX_ORDER_ITEMS)]) || 1;
      const body: Body = {
        userId: `u-${k}`,
        items: Array.from({ length: count }, (_, j) => ({
          productId: `p-${j}`,
          quantity: pick([1, nearBound(MAX_ITEM_QUANTITY), nearBound(100)]) || 1,
          price: pick([nearBound(MAX_PRICE_CENTS) / 100, nearBound(1_000_000) / 100, Math.round(random() * 10_000) / 100]),
        })),
      };
      if (expectWorkersAccept(body)) accepted++;
    }
    expect(accepted).toBeGreaterThan(300);
  });

  it('accepts every body the load generator sends', () => {
    for (let i = 0; i < 500; i++) expect(expectWorkersAccept(orderBody(7, i))).toBe(true);
  });

  it('accepts orders exactly at the bounds', () => {
    // MAX_PRICE x 10 = the largest total.
    expect(expectWorkersAccept({ userId: 'u', items: items(1, MAX_ORDER_TOTAL_CENTS / MAX_PRICE_CENTS, MAX_PRICE) })).toBe(true);
    expect(expectWorkersAccept({ userId: 'u', items: items(MAX_ORDER_ITEMS, 1, 0.01) })).toBe(true);
    expect(expectWorkersAccept({ userId: 'u', items: items(1, MAX_ITEM_QUANTITY, 0.01) })).toBe(true);
  });

  it('refuses what lies beyond a bound, naming the bound', () => {
    expect(problemsOf({ userId: 'u', items: items(1, 1, 1e15) })).toEqual(['items[0].price: expected a price of at most 1000000.00']);
    expect(problemsOf({ userId: 'u', items: items(1, 1, MAX_PRICE + 0.01) })).toEqual([
      'items[0].price: expected a price of at most 1000000.00',
    ]);
    expect(problemsOf({ userId: 'u', items: items(1, MAX_ITEM_QUANTITY + 1, 1) })).toEqual(['items[0].quantity: expected at most 10000']);
    expect(problemsOf({ userId: 'u', items: items(MAX_ORDER_ITEMS + 1, 1, 1) })).toEqual(['items: expected at most 100 items']);
    expect(problemsOf({ userId: 'u', items: items(1, 11, MAX_PRICE) })).toEqual([
      'total: expected an order total (sum of price x quantity) of at most 10000000.00, got 11000000.00',
    ]);
    expect(
      problemsOf({ userId: 'u', items: [...items(1, 10, MAX_PRICE), { productId: 'one-more-cent', quantity: 1, price: 0.01 }] }),
    ).toEqual(['total: expected an order total (sum of price x quantity) of at most 10000000.00, got 10000000.01']);
    expect(problemsOf({ userId: 'x'.repeat(MAX_ID_LENGTH + 1), items: items(1, 1, 1) })).toEqual([
      `userId: expected at most ${MAX_ID_LENGTH} characters`,
    ]);
  });

  it("reports an item's own problem, not a total computed from it", () => {
    // The issue's 1e306 x 10,000 items: refused for the price, no meaningless total alongside.
    expect(problemsOf({ userId: 'u', items: items(1, MAX_ITEM_QUANTITY, 1e306) })).toEqual([
      'items[0].price: expected a price of at most 1000000.00',
    ]);
  });

  it('the workers refuse what the API now refuses (so the API check is needed)', () => {
    const order = {
      orderId: 'o',
      userId: 'u',
      items: [{ productId: 'p', quantity: 1, priceCents: 1e17 }],
      totalCents: 1e17,
      acceptedAt: 0,
    };
    expect(orderCreatedSchema.safeParse(order).success).toBe(false);
    expect(
      orderCreatedSchema.safeParse({
        ...order,
        items: [{ productId: 'p', quantity: 11, priceCents: MAX_PRICE_CENTS }],
        totalCents: 11 * MAX_PRICE_CENTS,
      }).success,
    ).toBe(false);
    expect(paymentRequestSchema.safeParse({ orderId: 'o', userId: 'u', amountCents: MAX_ORDER_TOTAL_CENTS + 1 }).success).toBe(false);
  });
});
