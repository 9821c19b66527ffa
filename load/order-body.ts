import { deriveSeed, randomInt, seededRandom } from './seeded-random.ts';

// load/k6/order-body.js mirrors this file for k6; keep the two in step (a unit test compares them).

export const PRODUCT_COUNT = 20;
export const USER_COUNT = 500;
export const MAX_ITEMS_PER_ORDER = 3;
export const MAX_QUANTITY = 3;
/** Prices are fixed per product (a real catalogue), independent of the run's seed. */
const CATALOGUE_SEED = 20_240_601;
const MIN_PRICE_CENTS = 100;
const MAX_PRICE_CENTS = 9_999;

export interface OrderItem {
  productId: string;
  quantity: number;
  price: number;
}

export interface OrderBody {
  id?: string;
  userId: string;
  items: OrderItem[];
}

export interface CatalogueProduct {
  productId: string;
  price: number;
}

export const PRODUCT_CATALOGUE: readonly CatalogueProduct[] = (() => {
  const random = seededRandom(CATALOGUE_SEED);
  return Array.from({ length: PRODUCT_COUNT }, (_, k) => ({
    productId: `p-${k + 1}`,
    price: randomInt(random, MIN_PRICE_CENTS, MAX_PRICE_CENTS) / 100,
  }));
})();

export interface OrderBodyOptions {
  /** Include a client-chosen order id (`order-<seed>-<index>`) so histories can follow the order end to end. Default true. */
  withId?: boolean;
}

/** The body of order `index` in the run seeded with `seed`; the same inputs always give the same body. */
export function orderBody(seed: number, index: number, options: OrderBodyOptions = {}): OrderBody {
  const random = seededRandom(deriveSeed(seed, index));
  const userId = `u-${randomInt(random, 1, USER_COUNT)}`;
  const itemCount = randomInt(random, 1, MAX_ITEMS_PER_ORDER);
  const items: OrderItem[] = [];
  for (let k = 0; k < itemCount; k++) {
    const product = PRODUCT_CATALOGUE[randomInt(random, 0, PRODUCT_COUNT - 1)]!;
    items.push({ productId: product.productId, quantity: randomInt(random, 1, MAX_QUANTITY), price: product.price });
  }
  const body: OrderBody = { userId, items };
  return options.withId === false ? body : { id: `order-${seed}-${index}`, ...body };
}
