// Order bodies for k6, a plain-JS copy of load/order-body.ts and load/seeded-random.ts (k6 cannot import TypeScript).
// test/unit/load/order-body.test.ts checks that both produce the same body for the same seed and index.

export const PRODUCT_COUNT = 20;
export const USER_COUNT = 500;
export const MAX_ITEMS_PER_ORDER = 3;
export const MAX_QUANTITY = 3;
const CATALOGUE_SEED = 20240601;
const MIN_PRICE_CENTS = 100;
const MAX_PRICE_CENTS = 9999;

/** @param {number} seed @returns {() => number} */
function seededRandom(seed) {
  let state = seed >>> 0;
  return function next() {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {number} x */
function fmix32(x) {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** @param {number} seed @param {number} index */
function deriveSeed(seed, index) {
  return fmix32((fmix32(seed) + Math.imul(index >>> 0, 0x9e3779b1)) >>> 0);
}

/** @param {() => number} random @param {number} min @param {number} max */
function randomInt(random, min, max) {
  return min + Math.floor(random() * (max - min + 1));
}

const catalogueRandom = seededRandom(CATALOGUE_SEED);
/** @type {{ productId: string, price: number }[]} */
const CATALOGUE = [];
for (let k = 0; k < PRODUCT_COUNT; k++) {
  CATALOGUE.push({ productId: 'p-' + (k + 1), price: randomInt(catalogueRandom, MIN_PRICE_CENTS, MAX_PRICE_CENTS) / 100 });
}

/**
 * @param {number} seed
 * @param {number} index
 * @param {boolean} [withId]
 * @returns {ReturnType<typeof import('./order-body.js').orderBody>}
 */
export function orderBody(seed, index, withId) {
  const random = seededRandom(deriveSeed(seed, index));
  const userId = 'u-' + randomInt(random, 1, USER_COUNT);
  const itemCount = randomInt(random, 1, MAX_ITEMS_PER_ORDER);
  const items = [];
  for (let k = 0; k < itemCount; k++) {
    const product = /** @type {{ productId: string, price: number }} */ (CATALOGUE[randomInt(random, 0, PRODUCT_COUNT - 1)]);
    items.push({ productId: product.productId, quantity: randomInt(random, 1, MAX_QUANTITY), price: product.price });
  }
  if (withId === false) return { userId: userId, items: items };
  return { id: 'order-' + seed + '-' + index, userId: userId, items: items };
}
