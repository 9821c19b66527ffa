/**
 * A consumer's capacity for slow work (gateway calls): at most `size` run at once, the rest wait
 * in arrival order. Prefetch decides how many deliveries the broker pushes to a consumer; this
 * decides how many it can actually work on. A delivery held beyond that waits here, unacked:
 * exactly the backlog a slow consumer with a large prefetch hoards.
 */
export class WorkSlots {
  readonly #size: number;
  #busy = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`work slots: expected a positive integer, got ${size}`);
    this.#size = size;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#busy >= this.#size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#busy++;
    try {
      return await work();
    } finally {
      // Hand the slot straight to the next waiter (busy stays the same), or free it.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#busy--;
    }
  }

  get waiting(): number {
    return this.#waiting.length;
  }
}
