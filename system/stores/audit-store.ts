import { openDatabase, storeFile, type Db } from './sqlite.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_trail (
  message_id TEXT PRIMARY KEY,
  order_id TEXT NOT NULL,
  total_cents INTEGER NOT NULL,
  at REAL NOT NULL
);`;

/** The audit trail of new orders, fed by the best-effort `order.audit` queue: gaps are allowed (see topology.ts). */
export class AuditStore {
  readonly db: Db;
  readonly #insert;

  constructor(dataDir: string) {
    this.db = openDatabase(storeFile(dataDir, 'audit'), SCHEMA);
    this.#insert = this.db.prepare('INSERT OR IGNORE INTO audit_trail (message_id, order_id, total_cents, at) VALUES (?, ?, ?, ?)');
  }

  /** Returns false when this entry was already recorded. */
  recordOnce(messageId: string, orderId: string, totalCents: number): boolean {
    return this.#insert.run(messageId, orderId, totalCents, Date.now()).changes === 1;
  }
}
