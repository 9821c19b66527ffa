import { describe, expect, it } from 'vitest';
import { orderBody as k6OrderBody } from '../../../load/k6/order-body.js';
import { MAX_ITEMS_PER_ORDER, MAX_QUANTITY, PRODUCT_CATALOGUE, PRODUCT_COUNT, orderBody } from '../../../load/order-body.ts';

describe('orderBody', () => {
  it('is deterministic for a seed and index', () => {
    expect(orderBody(7, 123)).toEqual(orderBody(7, 123));
    expect(orderBody(7, 123)).not.toEqual(orderBody(8, 123));
  });

  it('has the API shape: id, userId, 1-3 items from p-1..p-20, quantity 1-3, catalogue price with 2 decimals', () => {
    const prices = new Map(PRODUCT_CATALOGUE.map((p) => [p.productId, p.price]));
    for (let i = 0; i < 500; i++) {
      const body = orderBody(1, i);
      expect(body.id).toBe(`order-1-${i}`);
      expect(body.userId).toMatch(/^u-\d+$/);
      expect(body.items.length).toBeGreaterThanOrEqual(1);
      expect(body.items.length).toBeLessThanOrEqual(MAX_ITEMS_PER_ORDER);
      for (const item of body.items) {
        expect(item.productId).toMatch(/^p-(\d|1\d|20)$/);
        expect(item.quantity).toBeGreaterThanOrEqual(1);
        expect(item.quantity).toBeLessThanOrEqual(MAX_QUANTITY);
        expect(item.price).toBe(prices.get(item.productId));
        expect(Number(item.price.toFixed(2))).toBe(item.price);
      }
    }
    expect(PRODUCT_CATALOGUE).toHaveLength(PRODUCT_COUNT);
  });

  it('can leave the id out', () => {
    expect(orderBody(1, 0, { withId: false })).not.toHaveProperty('id');
  });

  it('the k6 copy produces exactly the same bodies', () => {
    for (const seed of [0, 1, 42, 2 ** 31 + 5]) {
      for (let i = 0; i < 300; i++) expect(k6OrderBody(seed, i)).toEqual(orderBody(seed, i));
    }
    expect(k6OrderBody(3, 4, false)).toEqual(orderBody(3, 4, { withId: false }));
  });
});
