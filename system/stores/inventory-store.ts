import type { OrderItem } from '../messages.ts';
import { openDatabase, storeFile, type Db, type StoreOptions } from './sqlite.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS stock (
  product_id TEXT PRIMARY KEY,
  initial INTEGER NOT NULL,
  remaining INTEGER NOT NULL CHECK (remaining >= 0)
);
CREATE TABLE IF NOT EXISTS reservations (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT NOT NULL,
  items TEXT NOT NULL,
  ok INTEGER NOT NULL,
  reason TEXT,
  at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS reservations_by_order ON reservations (order_id);`;

export interface Reservation {
  ok: boolean;
  reason?: string;
}

/**
 * Stock and reservations. A product's stock row is created the first time it is seen, with the
 * configured initial quantity, and keeps that initial figure so conservation can be checked
 * (initial - reserved = remaining).
 */
export class InventoryStore {
  readonly db: Db;
  readonly #initialStock: number;
  readonly #idempotent: boolean;
  readonly #sql;

  constructor(dataDir: string, initialStock: number, options: StoreOptions = {}) {
    this.db = openDatabase(storeFile(dataDir, 'inventory'), SCHEMA);
    this.#initialStock = initialStock;
    this.#idempotent = options.idempotent ?? true;
    this.#sql = {
      existing: this.db.prepare('SELECT ok, reason FROM reservations WHERE order_id = ? ORDER BY seq LIMIT 1'),
      ensureProduct: this.db.prepare('INSERT OR IGNORE INTO stock (product_id, initial, remaining) VALUES (?, ?, ?)'),
      remaining: this.db.prepare('SELECT remaining FROM stock WHERE product_id = ?'),
      take: this.db.prepare('UPDATE stock SET remaining = remaining - ? WHERE product_id = ?'),
      record: this.db.prepare('INSERT INTO reservations (order_id, items, ok, reason, at) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  /**
   * Reserves every item or none; a second call for the same order returns the first answer
   * unchanged (unless the store is not idempotent: the flaw).
   */
  reserveOnce(orderId: string, items: readonly OrderItem[]): { applied: boolean; reservation: Reservation } {
    const sql = this.#sql;
    return this.db
      .transaction(() => {
        const prior = this.#idempotent ? (sql.existing.get(orderId) as { ok: number; reason: string | null } | undefined) : undefined;
        if (prior) return { applied: false, reservation: { ok: prior.ok === 1, ...(prior.reason ? { reason: prior.reason } : {}) } };
        const needed = new Map<string, number>();
        for (const item of items) needed.set(item.productId, (needed.get(item.productId) ?? 0) + item.quantity);
        let shortOf: string | undefined;
        for (const [productId, quantity] of needed) {
          sql.ensureProduct.run(productId, this.#initialStock, this.#initialStock);
          const { remaining } = sql.remaining.get(productId) as { remaining: number };
          if (remaining < quantity) shortOf ??= productId;
        }
        if (!shortOf) for (const [productId, quantity] of needed) sql.take.run(quantity, productId);
        const reservation: Reservation = shortOf ? { ok: false, reason: `insufficient stock of ${shortOf}` } : { ok: true };
        sql.record.run(orderId, JSON.stringify(items), reservation.ok ? 1 : 0, reservation.reason ?? null, Date.now());
        return { applied: true, reservation };
      })
      .immediate();
  }
}
