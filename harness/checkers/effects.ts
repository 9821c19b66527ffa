import { existsSync } from 'node:fs';
import type { HistoryEvent, Intent, Outcome } from '../../instrument/history-event.ts';
import type { OrderItem } from '../../system/messages.ts';
import { openDatabaseReadOnly, storeFile, type Db } from '../../system/stores/sqlite.ts';
import type { Checker, CheckResult } from './checker.ts';
import { MAX_LISTED_IDS } from './delivery-ledger.ts';
import { byTime } from './delivery-tracking.ts';
import { ViolationList } from './violation-list.ts';

/** The stores this checker reads; without all of them it cannot vouch for the effects. */
const REQUIRED_STORES = ['payments', 'inventory', 'notifications', 'orders'] as const;
type StoreName = (typeof REQUIRED_STORES)[number];

export type EffectsViolationKind =
  | 'double-charge'
  | 'not-charged'
  | 'charged-refused-order'
  | 'charged-unknown-order'
  | 'double-reservation'
  | 'not-reserved'
  | 'reservation-mismatch'
  | 'reserved-refused-order'
  | 'stock-not-conserved'
  | 'duplicate-notification'
  | 'missing-notification'
  | 'unexpected-notification'
  | 'notified-refused-order'
  | 'stored-refused-order'
  | 'accepted-not-stored'
  | 'store-status-mismatch'
  | 'partial-order';

const PHRASES: Record<EffectsViolationKind, string> = {
  'double-charge': 'orders charged more than once',
  'not-charged': 'completed orders never charged',
  'charged-refused-order': 'orders charged although the client was told they failed',
  'charged-unknown-order': 'charges for orders nobody placed',
  'double-reservation': 'orders with more than one stock reservation',
  'not-reserved': 'completed or failed orders without a stock reservation',
  'reservation-mismatch': 'orders whose reservation contradicts their final state',
  'reserved-refused-order': 'stock reserved for orders the client was told failed',
  'stock-not-conserved': 'products whose stock does not add up (initial - reserved != remaining)',
  'duplicate-notification': 'notifications sent more than once',
  'missing-notification': 'notifications missing for finished orders',
  'unexpected-notification': 'notifications that contradict the order outcome',
  'notified-refused-order': 'notifications sent for orders the client was told failed',
  'stored-refused-order': 'orders the client was told failed that the orders store holds',
  'accepted-not-stored': 'accepted orders missing from the orders store',
  'store-status-mismatch': 'orders whose stored status contradicts their final state',
  'partial-order': 'partial orders: some effects applied, the order never finished (with client retries on)',
};

/** One order's effects, for the partial-order rule and for reading an order's story. */
export interface PartialOrder {
  orderId: string;
  client: Outcome | 'none';
  has: string[];
  lacks: string[];
}

export interface EffectsExample {
  orderId?: string;
  productId?: string;
  messageId?: string;
  note: string;
}

type Terminal = 'completed' | 'failed';

/**
 * Effects in the services' stores (read-only), against what the client and the workers saw:
 * - payments: no order is charged more than once (the headline failure: "order X charged 2
 *   times"); every completed order (accepted or in doubt) is charged; an order whose client
 *   outcome was `fail` is never charged (an in-doubt one may be), nor is an order nobody placed;
 * - inventory: at most one reservation per order; a completed order has exactly one successful
 *   reservation, a failed one a refused reservation; refused orders reserve nothing; per product
 *   initial - sum(quantities of successful reservations) = remaining;
 * - notifications: no message id twice and no (order, type) twice; a finished order has exactly
 *   the notifications its effects call for: payment_succeeded iff charged, inventory_reserved iff
 *   stock reserved, inventory_failed iff refused (a completed order: payment_succeeded and
 *   inventory_reserved).
 * Client outcomes follow the ledger (a later `ok` supersedes; `info` then `fail` stays in doubt);
 * the final state is the first `order-completed` / `order-failed` effect in the history.
 * A missing store file makes the verdict `unknown` (violations found in the others still fail it).
 */
export function effectsChecker(): Checker {
  return {
    name: 'effects',
    check(run): CheckResult {
      const outcomes = clientOutcomes(run.events);
      const intents = clientIntents(run.events);
      const terminal = terminalStates(run.events);
      const violations = new ViolationList<EffectsViolationKind, EffectsExample>();
      const missingStores = REQUIRED_STORES.filter((s) => !existsSync(storeFile(run.dataDir, s)));
      const read = <T>(name: StoreName, fn: (db: Db) => T): T | undefined => {
        if (missingStores.includes(name)) return undefined;
        const db = openDatabaseReadOnly(storeFile(run.dataDir, name));
        try {
          return fn(db);
        } finally {
          db.close();
        }
      };
      const payments = read('payments', (db) => db.prepare('SELECT order_id AS orderId, COUNT(*) AS n FROM payments GROUP BY order_id').all() as { orderId: string; n: number }[]);
      const reservations = read('inventory', (db) => db.prepare('SELECT order_id AS orderId, items, ok FROM reservations ORDER BY seq').all() as { orderId: string; items: string; ok: number }[]);
      const stock = read('inventory', (db) => db.prepare('SELECT product_id AS productId, initial, remaining FROM stock').all() as { productId: string; initial: number; remaining: number }[]);
      const notifications = read('notifications', (db) => db.prepare('SELECT message_id AS messageId, order_id AS orderId, type FROM notifications ORDER BY seq').all() as { messageId: string; orderId: string; type: string }[]);
      const storedOrders = read('orders', (db) => db.prepare('SELECT id, body_hash AS bodyHash, paid, reserved, failure FROM orders').all() as { id: string; bodyHash: string | null; paid: number; reserved: number; failure: string | null }[]);

      const finished = [...terminal].filter(([orderId]) => outcomes.get(orderId) !== 'fail');
      const completed = finished.filter(([, state]) => state === 'completed');
      const hasClient = outcomes.size > 0;

      // Payments.
      const charges = new Map((payments ?? []).map((p) => [p.orderId, p.n]));
      if (payments) {
        for (const [orderId, n] of charges) {
          if (n > 1) violations.add('double-charge', { orderId, note: `order ${orderId} charged ${n} times` });
          const outcome = outcomes.get(orderId);
          if (outcome === 'fail') violations.add('charged-refused-order', { orderId, note: `order ${orderId} charged ${n} time(s), the client was told it failed` });
          else if (outcome === undefined && hasClient) violations.add('charged-unknown-order', { orderId, note: `order ${orderId} charged, no client ever placed it` });
        }
        for (const [orderId] of completed) if (!charges.has(orderId)) violations.add('not-charged', { orderId, note: `order ${orderId} completed without a charge` });
      }

      // Reservations and stock.
      const reservationsByOrder = new Map<string, { ok: boolean; items: OrderItem[] }[]>();
      for (const r of reservations ?? []) {
        const list = reservationsByOrder.get(r.orderId) ?? [];
        list.push({ ok: r.ok === 1, items: parseItems(r.items) });
        reservationsByOrder.set(r.orderId, list);
      }
      if (reservations) {
        for (const [orderId, list] of reservationsByOrder) {
          if (list.length > 1) violations.add('double-reservation', { orderId, note: `order ${orderId} has ${list.length} reservations (${list.filter((r) => r.ok).length} took stock)` });
          if (outcomes.get(orderId) === 'fail' && list.some((r) => r.ok)) violations.add('reserved-refused-order', { orderId, note: `stock reserved for order ${orderId}, the client was told it failed` });
        }
        for (const [orderId, state] of finished) {
          const list = reservationsByOrder.get(orderId) ?? [];
          if (list.length === 0) violations.add('not-reserved', { orderId, note: `order ${orderId} ${state} without any reservation` });
          else if (state === 'completed' && !list.some((r) => r.ok)) violations.add('reservation-mismatch', { orderId, note: `order ${orderId} completed but its reservation was refused` });
          else if (state === 'failed' && list.some((r) => r.ok)) violations.add('reservation-mismatch', { orderId, note: `order ${orderId} failed but holds reserved stock` });
        }
        const reserved = new Map<string, number>();
        for (const list of reservationsByOrder.values()) {
          for (const r of list) if (r.ok) for (const item of r.items) reserved.set(item.productId, (reserved.get(item.productId) ?? 0) + item.quantity);
        }
        for (const s of stock ?? []) {
          const taken = reserved.get(s.productId) ?? 0;
          if (s.initial - taken !== s.remaining) violations.add('stock-not-conserved', { productId: s.productId, note: `${s.productId}: initial ${s.initial} - reserved ${taken} = ${s.initial - taken}, but remaining is ${s.remaining}` });
        }
        const known = new Set((stock ?? []).map((s) => s.productId));
        for (const [productId, taken] of reserved) if (!known.has(productId)) violations.add('stock-not-conserved', { productId, note: `${productId}: ${taken} reserved, no stock row` });
      }

      // Notifications.
      if (notifications) {
        const byMessage = new Map<string, number>();
        /** order -> type -> message ids it was sent under (one entry per row). */
        const byOrder = new Map<string, Map<string, string[]>>();
        for (const n of notifications) {
          byMessage.set(n.messageId, (byMessage.get(n.messageId) ?? 0) + 1);
          const types = byOrder.get(n.orderId) ?? new Map<string, string[]>();
          types.set(n.type, [...(types.get(n.type) ?? []), n.messageId]);
          byOrder.set(n.orderId, types);
        }
        const duplicated = new Set<string>();
        for (const [messageId, n] of byMessage) if (n > 1) duplicated.add(messageId);
        for (const n of notifications) {
          if (!duplicated.delete(n.messageId)) continue;
          violations.add('duplicate-notification', { orderId: n.orderId, messageId: n.messageId, note: `${n.messageId} sent ${byMessage.get(n.messageId)} times` });
        }
        for (const [orderId, types] of byOrder) {
          for (const [type, ids] of types) {
            // Already reported above when every copy carries the same message id.
            if (new Set(ids).size > 1) violations.add('duplicate-notification', { orderId, note: `order ${orderId}: ${type} sent ${ids.length} times under different message ids` });
          }
        }
        if (payments && reservations) {
          for (const [orderId] of finished) {
            const list = reservationsByOrder.get(orderId) ?? [];
            const expected = new Set<string>();
            if (charges.has(orderId)) expected.add('payment_succeeded');
            if (list.some((r) => r.ok)) expected.add('inventory_reserved');
            else if (list.length > 0) expected.add('inventory_failed');
            const sent = byOrder.get(orderId) ?? new Map<string, string[]>();
            for (const type of expected) if (!sent.has(type)) violations.add('missing-notification', { orderId, note: `order ${orderId}: no ${type} notification` });
            for (const type of sent.keys()) if (!expected.has(type)) violations.add('unexpected-notification', { orderId, note: `order ${orderId}: ${type} sent, its effects call for ${[...expected].join(' and ') || 'none'}` });
          }
        }
      }

      // The orders store: every accepted order is in it, its status agrees with the history, a refused order left nothing.
      const refusedIds = [...outcomes].filter(([, o]) => o === 'fail').map(([id]) => id);
      if (notifications) {
        const notified = new Set(notifications.map((n) => n.orderId));
        for (const orderId of refusedIds) if (notified.has(orderId)) violations.add('notified-refused-order', { orderId, note: `order ${orderId} notified, the client was told it failed` });
      }
      if (reservations) {
        for (const orderId of refusedIds) {
          const list = reservationsByOrder.get(orderId) ?? [];
          if (list.length > 0 && !list.some((r) => r.ok)) violations.add('reserved-refused-order', { orderId, note: `order ${orderId} has a refused reservation, the client was told it failed` });
        }
      }
      const stored = new Map((storedOrders ?? []).map((o) => [o.id, o]));
      if (storedOrders) {
        for (const orderId of refusedIds) if (stored.has(orderId)) violations.add('stored-refused-order', { orderId, note: `order ${orderId} is in the orders store, the client was told it failed` });
        for (const [orderId, outcome] of outcomes) {
          if (outcome === 'ok' && !stored.get(orderId)?.bodyHash) violations.add('accepted-not-stored', { orderId, note: `order ${orderId} answered 202, not recorded as accepted in orders.sqlite` });
        }
        for (const [orderId, state] of finished) {
          const row = stored.get(orderId);
          const status = row ? storedStatus(row) : 'absent';
          if (status !== state) violations.add('store-status-mismatch', { orderId, note: `order ${orderId} ${state} in the history, ${status} in orders.sqlite` });
        }
      }

      // Partial orders: each order the client ever sent is complete or has no effect at all. A poison or
      // expiring order is meant to stop half-way (its payment dies), so only orders meant to be processed count.
      const partial: PartialOrder[] = [];
      const notifiedTypes = new Map<string, string[]>();
      for (const n of notifications ?? []) notifiedTypes.set(n.orderId, [...(notifiedTypes.get(n.orderId) ?? []), n.type]);
      for (const [orderId, outcome] of outcomes) {
        if (terminal.has(orderId) || intents.get(orderId) !== 'normal') continue;
        const row = stored.get(orderId);
        const has = [
          charges.has(orderId) ? 'charge' : '',
          (reservationsByOrder.get(orderId) ?? []).length ? 'reservation' : '',
          ...(notifiedTypes.get(orderId) ?? []).map((t) => `notification ${t}`),
          row && (row.paid || row.reserved) ? 'orders-store progress' : '',
        ].filter(Boolean);
        if (has.length === 0) continue;
        const lacks = [!charges.has(orderId) ? 'charge' : '', !(reservationsByOrder.get(orderId) ?? []).length ? 'reservation' : '', 'a final state (completed or failed)'].filter(Boolean);
        partial.push({ orderId, client: outcome, has, lacks });
      }
      const retriesOn = (run.clientRetries ?? 0) > 0;
      // With retries off, an order the client was not sure of is the client's to retry: reported, not failed.
      const excused = partial.filter((p) => !retriesOn && p.client !== 'ok');
      for (const p of partial) if (!excused.includes(p)) violations.add('partial-order', { orderId: p.orderId, note: `order ${p.orderId} (client: ${p.client}) has ${p.has.join(', ')}; lacks ${p.lacks.join(', ')}` });

      const count = (k: EffectsViolationKind) => violations.count(k);
      const refused = [...outcomes.values()].filter((o) => o === 'fail').length;
      const table = {
        columns: ['check', 'checked', 'violations'],
        rows: [
          ['payments: at most one charge per order', charges.size, count('double-charge')],
          ['payments: completed orders charged', completed.length, count('not-charged')],
          ['payments: refused or unknown orders not charged', refused, count('charged-refused-order') + count('charged-unknown-order')],
          ['inventory: at most one reservation per order', reservationsByOrder.size, count('double-reservation')],
          ['inventory: finished orders reserved accordingly', finished.length, count('not-reserved') + count('reservation-mismatch') + count('reserved-refused-order')],
          ['inventory: stock conserved (products)', stock?.length ?? 0, count('stock-not-conserved')],
          ['notifications: each sent once', notifications?.length ?? 0, count('duplicate-notification')],
          ['notifications: as the effects call for', finished.length, count('missing-notification') + count('unexpected-notification')],
          ['refused orders: no effect of any kind', refused, count('notified-refused-order') + count('stored-refused-order')],
          ['orders store: accepted orders stored, status agrees', storedOrders?.length ?? 0, count('accepted-not-stored') + count('store-status-mismatch')],
          ['orders: complete or no effect at all', outcomes.size, count('partial-order')],
        ] as (string | number)[][],
      };
      const doubleCharged = violations.toRecord()['double-charge']?.examples.map((e) => e.orderId!) ?? [];
      const counts = { ordersPlaced: outcomes.size, accepted: [...outcomes.values()].filter((o) => o === 'ok').length, refused, completed: completed.length, failed: finished.length - completed.length, charged: charges.size, reservations: reservations?.length ?? 0, notifications: notifications?.length ?? 0 };
      const partialNotRetried = excused.slice(0, MAX_LISTED_IDS);
      const details = { counts, missingStores: missingStores.map((s) => `${s}.sqlite`), doubleCharged: doubleCharged.slice(0, MAX_LISTED_IDS), partialOrders: partial.length, partialNotRetried, violations: violations.toRecord(), table };
      if (violations.count() > 0) {
        const headline = doubleCharged.length ? `${doubleCharged.slice(0, 3).map((o) => `order ${o} charged ${charges.get(o)} times`).join(', ')}${count('double-charge') > 3 ? ', ...' : ''}; ` : '';
        return { valid: false, summary: `${headline}${violations.describe(PHRASES)}${missingStores.length ? ` (store files missing: ${missingStores.map((s) => `${s}.sqlite`).join(', ')})` : ''}`, ...details };
      }
      if (missingStores.length) return { valid: 'unknown', summary: `cannot check effects: missing ${missingStores.map((s) => `${s}.sqlite`).join(', ')} in ${run.dataDir}`, ...details };
      if (counts.accepted === 0) return { valid: 'unknown', summary: 'no order was accepted: the effects prove nothing', ...details };
      const excusedNote = excused.length ? `; ${excused.length} partial, in doubt, not retried (client retries off): ${excused.slice(0, 3).map((p) => p.orderId).join(', ')}` : '';
      return { valid: true, summary: `${finished.length} finished orders charged once, reserved once, notified once; stock of ${stock?.length ?? 0} products conserved; no partial order${excusedNote}`, ...details };
    },
  };
}

/** The client's final word on each order, with the ledger's precedence. */
function clientOutcomes(events: readonly HistoryEvent[]): Map<string, Outcome> {
  const out = new Map<string, Outcome>();
  for (const e of byTime(events)) {
    if (e.kind !== 'order-request') continue;
    const prior = out.get(e.orderId);
    if (prior !== 'ok') out.set(e.orderId, prior === 'info' && e.outcome === 'fail' ? 'info' : e.outcome);
  }
  return out;
}

/** What the client meant each order to do (an order sent without saying is `normal`). */
function clientIntents(events: readonly HistoryEvent[]): Map<string, Intent> {
  const out = new Map<string, Intent>();
  for (const e of events) if (e.kind === 'order-request') out.set(e.orderId, e.intent ?? out.get(e.orderId) ?? 'normal');
  return out;
}

/** The orders store derives status from its facts the same way (system/stores/orders-store.ts). */
function storedStatus(row: { paid: number; reserved: number; failure: string | null }): string {
  if (row.failure !== null) return 'failed';
  return row.paid && row.reserved ? 'completed' : 'processing';
}

function terminalStates(events: readonly HistoryEvent[]): Map<string, Terminal> {
  const out = new Map<string, Terminal>();
  for (const e of byTime(events)) {
    if (e.kind !== 'handled' || out.has(e.orderId)) continue;
    if (e.effect === 'order-completed') out.set(e.orderId, 'completed');
    else if (e.effect === 'order-failed') out.set(e.orderId, 'failed');
  }
  return out;
}

function parseItems(json: string): OrderItem[] {
  try {
    const items = JSON.parse(json) as unknown;
    return Array.isArray(items) ? (items as OrderItem[]) : [];
  } catch {
    return [];
  }
}
