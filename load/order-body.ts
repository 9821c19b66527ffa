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

/**
 * Markers a workload can put in some orders, as a product id prefix the reference system acts on
 * (system/messages.ts, kept in step by a unit test): `poison` (the payment gateway fails it every
 * time: retried with backoff, then dead-lettered) and `flash` (a flash-sale item whose payment
 * must be taken within a deadline shorter than the gateway call: its payment message expires).
 */
export const ORDER_MARKERS = { poison: 'poison-', flash: 'flash-' } as const;
export type OrderMarker = keyof typeof ORDER_MARKERS;

/** The fraction of orders carrying each marker, e.g. `{ poison: 0.05, flash: 0.05 }` (sum at most 1). */
export type OrderMix = Partial<Record<OrderMarker, number>>;

export class InvalidOrderMixError extends Error {
  override readonly name = 'InvalidOrderMixError';
  constructor(mix: unknown) {
    super(
      `order mix: expected fractions between 0 and 1 for ${Object.keys(ORDER_MARKERS).join(', ')}, ` +
        `summing to at most 1; got ${JSON.stringify(mix)}`,
    );
  }
}

/** Mixed into the seed so the marker draw is independent of the body drawn from the same (seed, index). */
const MARKER_SALT = 0x6d61726b;

/** Which marker, if any, order `index` of the run seeded with `seed` carries under `mix`. */
export function orderMarker(seed: number, index: number, mix: OrderMix): OrderMarker | undefined {
  assertMix(mix);
  const draw = seededRandom(deriveSeed((seed ^ MARKER_SALT) | 0, index))();
  let cumulative = 0;
  for (const marker of Object.keys(ORDER_MARKERS) as OrderMarker[]) {
    cumulative += mix[marker] ?? 0;
    if (draw < cumulative) return marker;
  }
  return undefined;
}

/** `orderBody(seed, index)`, except that a marked order's first item becomes a marker product (same quantity and price). */
export function markedOrderBody(seed: number, index: number, mix: OrderMix, options: OrderBodyOptions = {}): OrderBody {
  const body = orderBody(seed, index, options);
  const marker = orderMarker(seed, index, mix);
  if (!marker) return body;
  const [first, ...rest] = body.items;
  return { ...body, items: [{ ...first!, productId: `${ORDER_MARKERS[marker]}${first!.productId}` }, ...rest] };
}

function assertMix(mix: OrderMix): void {
  const values = Object.entries(mix);
  const valid =
    values.every(([k, v]) => Object.hasOwn(ORDER_MARKERS, k) && typeof v === 'number' && v >= 0 && v <= 1) &&
    values.reduce((n, [, v]) => n + (v ?? 0), 0) <= 1;
  if (!valid) throw new InvalidOrderMixError(mix);
}

/**
 * What an order is meant to do, as the client records it (the `Intent` of instrument/history-event.ts):
 * `normal` must be processed, `poison` must be dead-lettered after its retries, `expire` must see its payment expire.
 */
export type OrderIntent = 'normal' | 'poison' | 'expire';

const MARKER_INTENTS: Record<OrderMarker, OrderIntent> = { poison: 'poison', flash: 'expire' };

/** The intent of an order carrying `marker` (none: `normal`). */
export function intentOf(marker: OrderMarker | undefined): OrderIntent {
  return marker ? MARKER_INTENTS[marker] : 'normal';
}
