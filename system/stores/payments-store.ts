import type { PaymentRequest } from '../messages.ts';
import { openDatabase, storeFile, type Db, type StoreOptions } from './sqlite.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS payments (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  amount_cents INTEGER NOT NULL,
  charged_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS payments_by_order ON payments (order_id);`;

/**
 * Charges: one row per charge. The reference charges an order at most once (checked inside the
 * same transaction as the insert); rows are not unique by order on purpose, so that a system
 * without that check (the `no-idempotency` flaw: `idempotent: false`) leaves visible double
 * charges for the effects checker.
 */
export class PaymentsStore {
  readonly db: Db;
  readonly #idempotent: boolean;
  readonly #sql;

  constructor(dataDir: string, options: StoreOptions = {}) {
    this.db = openDatabase(storeFile(dataDir, 'payments'), SCHEMA);
    this.#idempotent = options.idempotent ?? true;
    this.#sql = {
      existing: this.db.prepare('SELECT 1 FROM payments WHERE order_id = ? LIMIT 1'),
      insert: this.db.prepare('INSERT INTO payments (order_id, user_id, amount_cents, charged_at) VALUES (?, ?, ?, ?)'),
    };
  }

  /** Whether the order was charged already (never, for a store that forgets: the flaw). */
  isCharged(orderId: string): boolean {
    return this.#idempotent && this.#sql.existing.get(orderId) !== undefined;
  }

  /** Returns true when this call charged, false when the order was already charged. */
  chargeOnce(request: PaymentRequest): boolean {
    return this.db
      .transaction(() => {
        if (this.#idempotent && this.#sql.existing.get(request.orderId)) return false;
        this.#sql.insert.run(request.orderId, request.userId, request.amountCents, Date.now());
        return true;
      })
      .immediate();
  }
}
