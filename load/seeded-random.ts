// Deterministic randomness for load bodies and chaos schedules: the same seed must replay the same run.
// load/k6/order-body.js carries a plain-JS copy of these functions (k6 cannot import TypeScript);
// test/unit/load/order-body.test.ts proves the two agree.

export class InvalidSeedError extends Error {
  override readonly name = 'InvalidSeedError';
  constructor(readonly seed: unknown) {
    super(`seed: expected an integer (only its low 32 bits are used), got ${String(seed)}`);
  }
}

function assertSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new InvalidSeedError(seed);
}

/** mulberry32: a tiny 32-bit PRNG; returns floats in [0, 1). Good enough for test data, not for cryptography. */
export function seededRandom(seed: number): () => number {
  assertSeed(seed);
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's 32-bit finaliser: spreads nearby inputs (seed 1, 2, 3...) over the whole 32-bit space. */
function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * An independent seed for stream `index` of `seed`, so item i can be generated without generating items 0..i-1
 * (random access: order i's body does not depend on how many orders came before it).
 */
export function deriveSeed(seed: number, index: number): number {
  assertSeed(seed);
  assertSeed(index);
  return fmix32((fmix32(seed) + Math.imul(index >>> 0, 0x9e3779b1)) >>> 0);
}

/** An integer in [min, max], both inclusive. */
export function randomInt(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
