import { MAX_LISTED_IDS } from './delivery-ledger.ts';

export interface ViolationGroup<E> {
  count: number;
  /** The first MAX_LISTED_IDS examples: enough to act on, not a dump. */
  examples: E[];
}

/** Violations counted by kind, with capped examples, in the order kinds were first seen. */
export class ViolationList<K extends string, E> {
  readonly #byKind = new Map<K, ViolationGroup<E>>();

  add(kind: K, example: E): void {
    let group = this.#byKind.get(kind);
    if (!group) this.#byKind.set(kind, (group = { count: 0, examples: [] }));
    group.count++;
    if (group.examples.length < MAX_LISTED_IDS) group.examples.push(example);
  }

  count(kind?: K): number {
    if (kind !== undefined) return this.#byKind.get(kind)?.count ?? 0;
    let n = 0;
    for (const g of this.#byKind.values()) n += g.count;
    return n;
  }

  /** Plain data for the result: only kinds that occurred. */
  toRecord(): Partial<Record<K, ViolationGroup<E>>> {
    return Object.fromEntries(this.#byKind) as Partial<Record<K, ViolationGroup<E>>>;
  }

  /** "3 acked before handled, 1 acked twice", using a phrase per kind. */
  describe(phrases: Record<K, string>): string {
    return [...this.#byKind].map(([kind, g]) => `${g.count} ${phrases[kind]}`).join('; ');
  }
}
