import type { OrderCreated, OrderItem, OrderStatusUpdate } from '../messages.ts';
import type { Outcome } from '../../instrument/history-event.ts';
import { ORDER_CLAIMS_TABLE, OrderClaims, type Claim } from './order-claims.ts';
import { openDatabase, PROCESSED_TABLE, storeFile, type Db } from './sqlite.ts';

export type OrderStatus = 'accepted' | 'processing' | 'completed' | 'failed';

export interface OrderRow {
  id: string;
  userId: string | null;
  items: OrderItem[];
  totalCents: number | null;
  bodyHash: string | null;
  status: OrderStatus;
  paid: boolean;
  reserved: boolean;
  failure: string | null;
  createdAt: number;
  updatedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY,
  user_id TEXT,
  items TEXT NOT NULL DEFAULT '[]',
  total_cents INTEGER,
  body_hash TEXT,
  paid INTEGER NOT NULL DEFAULT 0,
  reserved INTEGER NOT NULL DEFAULT 0,
  failure TEXT,
  processing INTEGER NOT NULL DEFAULT 0,
  created_at REAL NOT NULL,
  updated_at REAL NOT NULL
);
${PROCESSED_TABLE}
${ORDER_CLAIMS_TABLE}`;

// Status is derived from the facts, so messages may arrive in any order (inventory can answer
// before the orders worker saw order.created) and a late message can never move an order backwards.
const STATUS_SQL =
  `CASE WHEN failure IS NOT NULL THEN 'failed' WHEN paid = 1 AND reserved = 1 THEN 'completed' ` +
  `WHEN processing = 1 OR paid = 1 OR reserved = 1 THEN 'processing' ELSE 'accepted' END`;

/** The orders service's state: written by the API (accepted orders) and the orders workers. */
export class OrdersStore {
  readonly db: Db;
  /** The API's reservations of order ids (see order-claims.ts). */
  readonly claims: OrderClaims;
  readonly #sql;

  constructor(dataDir: string) {
    this.db = openDatabase(storeFile(dataDir, 'orders'), SCHEMA);
    const db = this.db;
    this.claims = new OrderClaims(db);
    this.#sql = {
      find: db.prepare(`SELECT *, ${STATUS_SQL} AS status FROM orders WHERE id = ?`),
      status: db.prepare(`SELECT ${STATUS_SQL} AS status, created_at FROM orders WHERE id = ?`),
      accept: db.prepare(
        `INSERT INTO orders (id, user_id, items, total_cents, body_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET user_id = excluded.user_id, items = excluded.items, ` +
          `total_cents = excluded.total_cents, body_hash = excluded.body_hash`,
      ),
      markProcessed: db.prepare('INSERT OR IGNORE INTO processed (message_id, at) VALUES (?, ?)'),
      ensureRow: db.prepare('INSERT OR IGNORE INTO orders (id, created_at, updated_at) VALUES (?, ?, ?)'),
      // created_at becomes the API's acceptedAt (earlier than any row insert), so it measures end-to-end latency.
      created: db.prepare(
        "UPDATE orders SET processing = 1, user_id = coalesce(user_id, ?), items = CASE WHEN items = '[]' THEN ? ELSE items END, " +
          'total_cents = coalesce(total_cents, ?), created_at = min(created_at, ?), updated_at = ? WHERE id = ?',
      ),
      paid: db.prepare('UPDATE orders SET paid = 1, updated_at = ? WHERE id = ?'),
      reserved: db.prepare('UPDATE orders SET reserved = 1, updated_at = ? WHERE id = ?'),
      failed: db.prepare('UPDATE orders SET failure = coalesce(failure, ?), updated_at = ? WHERE id = ?'),
    };
  }

  find(id: string): OrderRow | undefined {
    const row = this.#sql.find.get(id) as Record<string, unknown> | undefined;
    return row ? toOrderRow(row) : undefined;
  }

  /** The API records an order once the broker confirmed its `order.created`. */
  recordAccepted(order: OrderCreated, bodyHash: string): void {
    const t = Date.now();
    this.#sql.accept.run(order.orderId, order.userId, JSON.stringify(order.items), order.totalCents, bodyHash, t, t);
  }

  /** The API settles its claim on an order id; a confirmed order is recorded as accepted in the same transaction. */
  settleClaim(order: OrderCreated, bodyHash: string, owner: string, outcome: Outcome): Claim | undefined {
    return this.db
      .transaction(() => {
        const claim = this.claims.settle(order.orderId, bodyHash, owner, outcome);
        if (outcome === 'ok') this.recordAccepted(order, bodyHash);
        return claim;
      })
      .immediate();
  }

  /**
   * Applies a message's effect once per message id; returns whether it was applied now, the
   * status after and when the order was accepted (ms).
   */
  applyOnce(messageId: string, orderId: string, change: OrderChange): { applied: boolean; status: OrderStatus; createdAt: number } {
    const sql = this.#sql;
    return this.db.transaction(() => {
      const t = Date.now();
      const fresh = sql.markProcessed.run(messageId, t).changes === 1;
      sql.ensureRow.run(orderId, t, t);
      if (fresh) {
        if (change.kind === 'created') {
          const o = change.order;
          sql.created.run(o.userId, JSON.stringify(o.items), o.totalCents, o.acceptedAt, t, orderId);
        } else if (change.update.type === 'payment.succeeded') sql.paid.run(t, orderId);
        else if (change.update.type === 'inventory.reserved') sql.reserved.run(t, orderId);
        else sql.failed.run(change.update.reason ?? 'inventory failed', t, orderId);
      }
      const { status, created_at } = sql.status.get(orderId) as { status: OrderStatus; created_at: number };
      return { applied: fresh, status, createdAt: created_at };
    })();
  }
}

export type OrderChange = { kind: 'created'; order: OrderCreated } | { kind: 'status'; update: OrderStatusUpdate };

function toOrderRow(r: Record<string, unknown>): OrderRow {
  return {
    id: String(r.id),
    userId: (r.user_id as string | null) ?? null,
    items: JSON.parse(String(r.items)) as OrderItem[],
    totalCents: (r.total_cents as number | null) ?? null,
    bodyHash: (r.body_hash as string | null) ?? null,
    status: r.status as OrderStatus,
    paid: r.paid === 1,
    reserved: r.reserved === 1,
    failure: (r.failure as string | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
