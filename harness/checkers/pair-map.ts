/**
 * A map keyed by a pair of strings (queue and message id, process and id), as nested maps: joining
 * the two into one key string made a fresh string per event, and on a million events those
 * strings were a good part of the garbage collector's work.
 */
export class PairMap<V> {
  readonly #outer = new Map<string, Map<string, V>>();

  get(a: string, b: string): V | undefined {
    return this.#outer.get(a)?.get(b);
  }

  has(a: string, b: string): boolean {
    return this.#outer.get(a)?.has(b) ?? false;
  }

  set(a: string, b: string, value: V): void {
    let inner = this.#outer.get(a);
    if (!inner) this.#outer.set(a, (inner = new Map()));
    inner.set(b, value);
  }
}

/**
 * Lists keyed by a pair of strings, holding a lone value without an array around it: most pairs
 * (a message at a queue, a process's publish of an id) have exactly one, and a million small
 * arrays were most of what a check allocated. Values must not be arrays themselves.
 */
export class PairLists<V extends object> {
  readonly #outer = new Map<string, Map<string, V | V[]>>();

  push(a: string, b: string, value: V): void {
    let inner = this.#outer.get(a);
    if (!inner) this.#outer.set(a, (inner = new Map()));
    const current = inner.get(b);
    if (current === undefined) inner.set(b, value);
    else if (Array.isArray(current)) current.push(value);
    else inner.set(b, [current, value]);
  }

  has(a: string, b: string): boolean {
    return this.#outer.get(a)?.has(b) ?? false;
  }

  /** The oldest value of the pair, removed. */
  shift(a: string, b: string): V | undefined {
    const inner = this.#outer.get(a);
    const current = inner?.get(b);
    if (current === undefined) return undefined;
    if (!Array.isArray(current)) {
      inner!.delete(b);
      return current;
    }
    const first = current.shift();
    if (current.length === 0) inner!.delete(b);
    return first;
  }

  /** The first value of the pair (in push order) that satisfies `test`. */
  find(a: string, b: string, test: (value: V) => boolean): V | undefined {
    const current = this.#outer.get(a)?.get(b);
    if (current === undefined) return undefined;
    if (!Array.isArray(current)) return test(current) ? current : undefined;
    return current.find(test);
  }

  /** The pair's lone value, or its values, or undefined: for hot loops that must not allocate. */
  raw(a: string, b: string): V | readonly V[] | undefined {
    return this.#outer.get(a)?.get(b);
  }

  /** How many values the pair holds. */
  count(a: string, b: string): number {
    const current = this.#outer.get(a)?.get(b);
    return current === undefined ? 0 : Array.isArray(current) ? current.length : 1;
  }

  /** The pair's values in push order (a fresh array for a lone value). */
  list(a: string, b: string): readonly V[] {
    const current = this.#outer.get(a)?.get(b);
    return current === undefined ? [] : Array.isArray(current) ? current : [current];
  }
}
