import { existsSync } from 'node:fs';
import type { EffectInvariant, EffectRow, TargetEffects } from '../../harness/target/target.ts';
import type { OrderItem } from '../messages.ts';
import { openDatabaseReadOnly, storeFile, type Db } from '../stores/sqlite.ts';

/** The stores the effects are read from; without all of them nobody can vouch for the effects. */
const REQUIRED_STORES = ['payments', 'inventory', 'notifications', 'orders'] as const;
type StoreName = (typeof REQUIRED_STORES)[number] | 'dead-letters';

/**
 * The reference system's effects, as the harness's generic effects checker reads them: one row per
 * (order, kind) with how many times the stores hold it.
 * - `charge`: payments rows; `reservation`: reservations rows, plus `reservation-ok` when one took
 *   stock and `reservation-refused` when all were refused;
 * - `notification:<type>`: notifications sent for the order (a message id recorded twice counts twice);
 * - `paid`, `reserved` and `status:<completed|failed|processing>` from the orders store (status
 *   derived from the facts the way system/stores/orders-store.ts derives it);
 * plus the orders stored as accepted, stock conservation as an invariant, and the dead-letter store's rows.
 */
export async function readReferenceEffects(dataDir: string): Promise<TargetEffects> {
  const unreadable: string[] = [];
  let deadLettersUnreadable: string | undefined;
  const read = <T>(name: StoreName, fn: (db: Db) => T): T | undefined => {
    const file = storeFile(dataDir, name);
    // No dead letter at all leaves no dead-letter store: that is not a store missing.
    if (!existsSync(file)) {
      if (name !== 'dead-letters') unreadable.push(`${name}.sqlite (missing in ${dataDir})`);
      return undefined;
    }
    try {
      const db = openDatabaseReadOnly(file);
      try {
        return fn(db);
      } finally {
        db.close();
      }
    } catch (err) {
      const why = `${name}.sqlite (${(err as Error).message})`;
      if (name === 'dead-letters') deadLettersUnreadable = why;
      else unreadable.push(why);
      return undefined;
    }
  };
  const payments = read(
    'payments',
    (db) =>
      db.prepare('SELECT order_id AS orderId, COUNT(*) AS n FROM payments GROUP BY order_id').all() as { orderId: string; n: number }[],
  );
  const inventory = read('inventory', (db) => ({
    reservations: db.prepare('SELECT order_id AS orderId, items, ok FROM reservations ORDER BY seq').all() as {
      orderId: string;
      items: string;
      ok: number;
    }[],
    stock: db.prepare('SELECT product_id AS productId, initial, remaining FROM stock').all() as {
      productId: string;
      initial: number;
      remaining: number;
    }[],
  }));
  const notifications = read(
    'notifications',
    (db) =>
      db.prepare('SELECT order_id AS orderId, type, COUNT(*) AS n FROM notifications GROUP BY order_id, type').all() as {
        orderId: string;
        type: string;
        n: number;
      }[],
  );
  const orders = read(
    'orders',
    (db) =>
      db.prepare('SELECT id, body_hash AS bodyHash, paid, reserved, failure FROM orders').all() as {
        id: string;
        bodyHash: string | null;
        paid: number;
        reserved: number;
        failure: string | null;
      }[],
  );
  const deadLetters = read(
    'dead-letters',
    (db) =>
      db.prepare('SELECT message_id AS messageId, queue, reason FROM dead_letters').all() as {
        messageId: string;
        queue: string;
        reason: string;
      }[],
  );

  const rows: EffectRow[] = [];
  for (const p of payments ?? []) rows.push({ orderId: p.orderId, kind: 'charge', count: p.n });
  const reservations = new Map<string, { ok: number; refused: number }>();
  for (const r of inventory?.reservations ?? []) {
    const tally = reservations.get(r.orderId) ?? { ok: 0, refused: 0 };
    if (r.ok === 1) tally.ok++;
    else tally.refused++;
    reservations.set(r.orderId, tally);
  }
  for (const [orderId, { ok, refused }] of reservations) {
    rows.push({ orderId, kind: 'reservation', count: ok + refused });
    // Flags, not counts: how many reservations an order has is the `reservation` row's business.
    rows.push({ orderId, kind: ok > 0 ? 'reservation-ok' : 'reservation-refused', count: 1 });
  }
  for (const n of notifications ?? []) rows.push({ orderId: n.orderId, kind: `notification:${n.type}`, count: n.n });
  for (const o of orders ?? []) {
    if (o.paid) rows.push({ orderId: o.id, kind: 'paid', count: 1 });
    if (o.reserved) rows.push({ orderId: o.id, kind: 'reserved', count: 1 });
    rows.push({ orderId: o.id, kind: `status:${storedStatus(o)}`, count: 1 });
  }

  return {
    rows,
    requiredKinds: ['charge', 'reservation', 'reservation-ok', 'status:completed'],
    requiredWhenFailed: ['reservation', 'status:failed'],
    forbiddenWhenCompleted: ['reservation-refused'],
    forbiddenWhenFailed: ['reservation-ok'],
    // A finished order is notified of exactly what happened to it.
    together: [
      ['charge', 'notification:payment_succeeded'],
      ['reservation-ok', 'notification:inventory_reserved'],
      ['reservation-refused', 'notification:inventory_failed'],
    ],
    bookkeepingKinds: ['status:processing', 'status:completed', 'status:failed'],
    ...(orders ? { storedOrders: orders.filter((o) => o.bodyHash).map((o) => o.id) } : {}),
    ...(inventory ? { invariants: [stockConserved(inventory.reservations, inventory.stock)] } : {}),
    ...(deadLetters ? { deadLetters } : {}),
    ...(deadLettersUnreadable ? { deadLettersUnreadable } : {}),
    unreadable,
  };
}

/** The orders store derives status from its facts the same way (system/stores/orders-store.ts). */
function storedStatus(row: { paid: number; reserved: number; failure: string | null }): 'completed' | 'failed' | 'processing' {
  if (row.failure !== null) return 'failed';
  return row.paid && row.reserved ? 'completed' : 'processing';
}

/** Per product: initial - sum(quantities of successful reservations) = remaining, and nothing reserved without a stock row. */
function stockConserved(
  reservations: readonly { items: string; ok: number }[],
  stock: readonly { productId: string; initial: number; remaining: number }[],
): EffectInvariant {
  const reserved = new Map<string, number>();
  for (const r of reservations)
    if (r.ok === 1)
      for (const item of parseItems(r.items)) reserved.set(item.productId, (reserved.get(item.productId) ?? 0) + item.quantity);
  const violations: { subject: string; note: string }[] = [];
  for (const s of stock) {
    const taken = reserved.get(s.productId) ?? 0;
    if (s.initial - taken !== s.remaining)
      violations.push({
        subject: s.productId,
        note: `${s.productId}: initial ${s.initial} - reserved ${taken} = ${s.initial - taken}, but remaining is ${s.remaining}`,
      });
  }
  const known = new Set(stock.map((s) => s.productId));
  for (const [productId, taken] of reserved)
    if (!known.has(productId)) violations.push({ subject: productId, note: `${productId}: ${taken} reserved, no stock row` });
  return { name: 'inventory: stock conserved (initial - reserved = remaining)', checked: stock.length, violations };
}

function parseItems(json: string): OrderItem[] {
  try {
    const items = JSON.parse(json) as unknown;
    return Array.isArray(items) ? (items as OrderItem[]) : [];
  } catch {
    return [];
  }
}
