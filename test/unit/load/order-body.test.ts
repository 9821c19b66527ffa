import { describe, expect, it } from 'vitest';
import { orderBody as k6OrderBody } from '../../../load/k6/order-body.js';
import {
  InvalidOrderMixError,
  MAX_ITEMS_PER_ORDER,
  MAX_QUANTITY,
  ORDER_MARKERS,
  PRODUCT_CATALOGUE,
  PRODUCT_COUNT,
  markedOrderBody,
  orderBody,
  orderMarker,
} from '../../../load/order-body.ts';
import { FLASH_PRODUCT_PREFIX, POISON_PRODUCT_PREFIX } from '../../../system/messages.ts';

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

describe('markedOrderBody', () => {
  const mix = { poison: 0.1, flash: 0.2 };

  it('uses the prefixes the reference system acts on', () => {
    expect(ORDER_MARKERS).toEqual({ poison: POISON_PRODUCT_PREFIX, flash: FLASH_PRODUCT_PREFIX });
  });

  it('marks about the requested fraction of orders, deterministically, and leaves the others exactly as orderBody', () => {
    const counts = { poison: 0, flash: 0, none: 0 };
    for (let i = 0; i < 5_000; i++) {
      const marker = orderMarker(9, i, mix);
      expect(orderMarker(9, i, mix)).toBe(marker);
      counts[marker ?? 'none']++;
      const body = markedOrderBody(9, i, mix);
      if (!marker) {
        expect(body).toEqual(orderBody(9, i));
        continue;
      }
      const plain = orderBody(9, i);
      expect(body.items[0]).toEqual({ ...plain.items[0], productId: `${ORDER_MARKERS[marker]}${plain.items[0]!.productId}` });
      expect(body.items.slice(1)).toEqual(plain.items.slice(1));
    }
    expect(counts.poison / 5_000).toBeCloseTo(0.1, 1);
    expect(counts.flash / 5_000).toBeCloseTo(0.2, 1);
  });

  it('refuses a mix that is not a set of fractions summing to at most 1', () => {
    expect(() => orderMarker(1, 0, { poison: 0.7, flash: 0.7 })).toThrow(InvalidOrderMixError);
    expect(() => orderMarker(1, 0, { poison: -1 })).toThrow(InvalidOrderMixError);
    expect(() => orderMarker(1, 0, { bogus: 0.1 } as never)).toThrow(InvalidOrderMixError);
  });
});
