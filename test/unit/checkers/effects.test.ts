import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../harness/checkers/checker.ts';
import { effectsChecker } from '../../../harness/checkers/effects.ts';
import type { Outcome } from '../../../instrument/history-event.ts';
import { InventoryStore } from '../../../system/stores/inventory-store.ts';
import { NotificationsStore } from '../../../system/stores/notifications-store.ts';
import { OrdersStore } from '../../../system/stores/orders-store.ts';
import { PaymentsStore } from '../../../system/stores/payments-store.ts';
import { readReferenceEffects } from '../../../system/target/read-effects.ts';
import type { TargetEffects } from '../../../harness/target/target.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { REFERENCE_TOPOLOGY } from '../../../system/target/declared-topology.ts';
import { ConsumerHistory, runRecord } from './consumer-history.ts';

const INITIAL_STOCK = 10;

type Example = { orderId?: string; kind?: string; subject?: string; note: string };

function violation(result: CheckResult, kind: string): { count: number; examples: Example[] } | undefined {
  return (result.violations as Record<string, { count: number; examples: Example[] }>)[kind];
}

describe('effects checker on the reference target (its stores read back by read-effects.ts)', () => {
  let dir: ReturnType<typeof tempDir>;
  let payments: PaymentsStore;
  let inventory: InventoryStore;
  let notifications: NotificationsStore;
  let orders: OrdersStore;
  let h: ConsumerHistory;

  beforeEach(() => {
    dir = tempDir('effects-checker');
    payments = new PaymentsStore(dir.path);
    inventory = new InventoryStore(dir.path, INITIAL_STOCK);
    notifications = new NotificationsStore(dir.path);
    orders = new OrdersStore(dir.path);
    h = new ConsumerHistory();
  });
  afterEach(() => {
    for (const db of [payments.db, inventory.db, notifications.db, orders.db]) if (db.open) db.close();
    dir.remove();
  });

  const check = async (clientRetries = 5) =>
    effectsChecker().check(runRecord(h.events, { effects: await readReferenceEffects(dir.path), clientRetries }));

  /** What the reference pipeline does for one order: the client's answer, the effects, the notifications, the final state. */
  function order(orderId: string, options: { outcome?: Outcome; quantity?: number; charge?: boolean; notify?: boolean } = {}): void {
    const { outcome = 'ok', quantity = 1, charge = true, notify = true } = options;
    h.order(orderId, outcome);
    const { reservation } = inventory.reserveOnce(orderId, [{ productId: 'p1', quantity, priceCents: 100 }]);
    if (charge) payments.chargeOnce({ orderId, userId: 'u1', amountCents: 100 * quantity });
    if (notify) {
      if (charge) notifications.sendOnce(`notification.payment_succeeded:${orderId}`, { orderId, type: 'payment_succeeded' });
      const type = reservation.ok ? 'inventory_reserved' : 'inventory_failed';
      notifications.sendOnce(`notification.${type}:${orderId}`, { orderId, type });
    }
    h.handled(
      { proc: 'orders-1', id: `x:${orderId}`, queue: 'order.status' },
      true,
      reservation.ok ? 'order-completed' : 'order-failed',
      orderId,
    );
    store(orderId, { accepted: outcome === 'ok', paid: charge, reserved: reservation.ok, failure: reservation.ok ? null : 'out of stock' });
  }

  /** The orders service's row for an order, as the API and the orders workers leave it. */
  function store(orderId: string, row: { accepted: boolean; paid: boolean; reserved: boolean; failure?: string | null }): void {
    orders.db
      .prepare('INSERT INTO orders (id, body_hash, paid, reserved, failure, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0)')
      .run(orderId, row.accepted ? 'hash' : null, row.paid ? 1 : 0, row.reserved ? 1 : 0, row.failure ?? null);
  }

  it('passes when every finished order was charged, reserved and notified exactly once and stock adds up', async () => {
    order('o1', { quantity: 3 });
    order('o2', { quantity: 50 }); // more than there is: inventory refuses, the order fails (it is still charged)
    order('o3', { outcome: 'info', quantity: 2 }); // in doubt for the client, yet it went through
    h.order('o4', 'fail'); // refused: nothing happened
    const result = await check();
    expect(result.valid).toBe(true);
    expect(result.counts).toMatchObject({
      accepted: 2,
      refused: 1,
      completed: 2,
      failed: 1,
      ordersPerKind: { charge: 3, reservation: 3, 'notification:payment_succeeded': 3 },
    });
    expect(result.table).toMatchObject({ columns: ['check', 'checked', 'violations'] });
  });

  it('fails on a double charge and says so first', async () => {
    order('o1');
    order('o2');
    payments.db
      .prepare('INSERT INTO payments (order_id, user_id, amount_cents, charged_at) VALUES (?, ?, ?, ?)')
      .run('o1', 'u1', 100, Date.now());
    const result = await check();
    expect(result.valid).toBe(false);
    expect(result.summary).toMatch(/^order o1: charge x2/);
    expect(result.duplicated).toEqual({ charge: ['o1'] });
    expect(violation(result, 'duplicate-effect')).toMatchObject({
      count: 1,
      examples: [{ orderId: 'o1', kind: 'charge', note: 'order o1: charge x2' }],
    });
  });

  it('fails on a completed order that was never charged', async () => {
    order('o1', { charge: false });
    const result = await check();
    expect(violation(result, 'missing-effect')?.examples[0]).toMatchObject({ orderId: 'o1', kind: 'charge' });
  });

  it('fails on a charge for an order the client was told failed, but allows one for an order in doubt', async () => {
    h.order('o1', 'fail').order('o2', 'info');
    payments.chargeOnce({ orderId: 'o1', userId: 'u1', amountCents: 100 });
    payments.chargeOnce({ orderId: 'o2', userId: 'u1', amountCents: 100 });
    order('o3');
    const result = await check();
    expect(result.valid).toBe(false);
    expect(violation(result, 'effect-of-refused-order')).toMatchObject({
      count: 1,
      examples: [{ orderId: 'o1', note: expect.stringMatching(/holds charge/) }],
    });
  });

  it('fails on a charge for an order nobody placed', async () => {
    order('o1');
    payments.chargeOnce({ orderId: 'ghost', userId: 'u1', amountCents: 100 });
    const result = await check();
    expect(violation(result, 'effect-of-unknown-order')?.examples[0]?.orderId).toBe('ghost');
  });

  it('fails on two reservations for one order', async () => {
    order('o1');
    inventory.db
      .prepare('INSERT INTO reservations (order_id, items, ok, reason, at) VALUES (?, ?, ?, ?, ?)')
      .run('o1', '[]', 0, 'again', Date.now());
    const result = await check();
    expect(violation(result, 'duplicate-effect')?.examples[0]).toMatchObject({ orderId: 'o1', kind: 'reservation' });
  });

  it('fails on a finished order without any reservation', async () => {
    order('o1');
    inventory.db.prepare('DELETE FROM reservations WHERE order_id = ?').run('o1');
    inventory.db.prepare('UPDATE stock SET remaining = initial').run();
    const result = await check();
    expect(violation(result, 'missing-effect')?.examples[0]).toMatchObject({ orderId: 'o1', kind: 'reservation' });
  });

  it('fails when a completed order’s reservation was refused, or a failed order holds stock', async () => {
    order('o1');
    order('o2', { quantity: 50 });
    inventory.db.prepare('UPDATE reservations SET ok = 1 - ok').run();
    const result = await check();
    expect(
      violation(result, 'forbidden-effect')
        ?.examples.map((e) => `${e.orderId} ${e.kind}`)
        .sort(),
    ).toEqual(['o1 reservation-refused', 'o2 reservation-ok']);
  });

  it('fails on stock reserved for an order the client was told failed', async () => {
    h.order('o1', 'fail');
    inventory.reserveOnce('o1', [{ productId: 'p1', quantity: 1, priceCents: 100 }]);
    order('o2');
    const result = await check();
    expect(violation(result, 'effect-of-refused-order')?.examples[0]?.orderId).toBe('o1');
  });

  it('fails when a product’s stock does not add up', async () => {
    order('o1', { quantity: 3 });
    inventory.db.prepare('UPDATE stock SET remaining = remaining - 1 WHERE product_id = ?').run('p1');
    const result = await check();
    expect(violation(result, 'invariant')?.examples[0]).toMatchObject({
      subject: 'p1',
      note: 'p1: initial 10 - reserved 3 = 7, but remaining is 6',
    });
  });

  it('fails on a notification sent twice', async () => {
    order('o1');
    notifications.db
      .prepare('INSERT INTO notifications (message_id, order_id, type, sent_at) VALUES (?, ?, ?, ?)')
      .run('notification.payment_succeeded:o1', 'o1', 'payment_succeeded', Date.now());
    const result = await check();
    expect(violation(result, 'duplicate-effect')).toMatchObject({
      count: 1,
      examples: [{ orderId: 'o1', kind: 'notification:payment_succeeded' }],
    });
  });

  it('fails on the same notification sent under two message ids', async () => {
    order('o1');
    notifications.sendOnce('some-other-id', { orderId: 'o1', type: 'inventory_reserved' });
    const result = await check();
    expect(violation(result, 'duplicate-effect')?.examples[0]?.note).toBe('order o1: notification:inventory_reserved x2');
  });

  it('fails on a finished order missing a notification', async () => {
    order('o1', { notify: false });
    const result = await check();
    expect(violation(result, 'effects-disagree')?.examples.map((e) => e.kind)).toEqual([
      'notification:payment_succeeded',
      'notification:inventory_reserved',
    ]);
  });

  it('fails on a notification that contradicts the order’s outcome', async () => {
    order('o1');
    notifications.sendOnce('notification.inventory_failed:o1', { orderId: 'o1', type: 'inventory_failed' });
    const result = await check();
    expect(violation(result, 'effects-disagree')?.examples[0]?.note).toMatch(
      /holds notification:inventory_failed without reservation-refused/,
    );
  });

  it('is unknown, naming the files, when a store is missing', async () => {
    order('o1');
    notifications.db.close();
    const empty = tempDir('effects-checker-empty');
    try {
      const result = await effectsChecker().check(runRecord(h.events, { effects: await readReferenceEffects(empty.path) }));
      expect(result.valid).toBe('unknown');
      expect(result.summary).toMatch(/payments\.sqlite \(missing .*inventory\.sqlite \(missing .*notifications\.sqlite \(missing/);
    } finally {
      empty.remove();
    }
  });

  it('is unknown when no order was accepted', async () => {
    h.order('o1', 'fail');
    const result = await check();
    expect(result.valid).toBe('unknown');
  });

  describe('partial orders and the orders store', () => {
    /** Charged but never reserved: its order.created copy survived the broker crash in one queue only. */
    function chargedNotReserved(orderId: string, outcome: Outcome): void {
      h.order(orderId, outcome);
      payments.chargeOnce({ orderId, userId: 'u1', amountCents: 100 });
      notifications.sendOnce(`notification.payment_succeeded:${orderId}`, { orderId, type: 'payment_succeeded' });
      store(orderId, { accepted: outcome === 'ok', paid: true, reserved: false });
    }

    it('fails on a charged-but-not-reserved order when the client retries, naming what it has and lacks', async () => {
      order('o1');
      chargedNotReserved('o2', 'info');
      const result = await check(5);
      expect(result.valid).toBe(false);
      expect(violation(result, 'partial-order')?.examples[0]).toMatchObject({
        orderId: 'o2',
        note: expect.stringMatching(/has charge, notification:payment_succeeded, paid; lacks reservation/),
      });
    });

    it('only reports an in-doubt partial order when client retries are off (the system told the client to retry)', async () => {
      order('o1');
      chargedNotReserved('o2', 'info');
      const result = await check(0);
      expect(result.valid).toBe(true);
      expect(result.partialNotRetried).toMatchObject([{ orderId: 'o2', client: 'info' }]);
      expect(result.summary).toMatch(/1 partial, in doubt, not retried/);
    });

    it('fails on an accepted partial order even with retries off, and ignores orders meant to stop half-way (poison)', async () => {
      order('o1');
      chargedNotReserved('o2', 'ok');
      h.add('client', { kind: 'order-request', orderId: 'o3', outcome: 'ok', intent: 'poison' });
      inventory.reserveOnce('o3', [{ productId: 'p1', quantity: 1, priceCents: 100 }]);
      store('o3', { accepted: true, paid: false, reserved: true });
      const result = await check(0);
      expect(violation(result, 'partial-order')?.examples.map((e) => e.orderId)).toEqual(['o2']);
    });

    it('fails when a refused order left any effect: a notification or an orders-store row', async () => {
      order('o1');
      h.order('o2', 'fail');
      notifications.sendOnce('notification.inventory_failed:o2', { orderId: 'o2', type: 'inventory_failed' });
      store('o2', { accepted: false, paid: false, reserved: false });
      const result = await check();
      expect(violation(result, 'effect-of-refused-order')?.examples[0]).toMatchObject({
        orderId: 'o2',
        note: expect.stringMatching(/holds notification:inventory_failed, status:processing,/),
      });
    });

    it('fails when the orders store contradicts the history or misses an accepted order', async () => {
      order('o1');
      h.order('o2', 'ok');
      const { reservation } = inventory.reserveOnce('o2', [{ productId: 'p1', quantity: 1, priceCents: 100 }]);
      payments.chargeOnce({ orderId: 'o2', userId: 'u1', amountCents: 100 });
      notifications.sendOnce('notification.payment_succeeded:o2', { orderId: 'o2', type: 'payment_succeeded' });
      notifications.sendOnce('notification.inventory_reserved:o2', { orderId: 'o2', type: 'inventory_reserved' });
      h.handled({ proc: 'orders-1', id: 'x:o2', queue: 'order.status' }, true, reservation.ok ? 'order-completed' : 'order-failed', 'o2');
      store('o2', { accepted: false, paid: true, reserved: false });
      const result = await check();
      expect(violation(result, 'accepted-not-stored')?.examples[0]?.orderId).toBe('o2');
      expect(violation(result, 'missing-effect')?.examples[0]).toMatchObject({ orderId: 'o2', kind: 'status:completed' });
    });
  });
});

describe('effects checker, generic over what the target declares', () => {
  /** A target that ships parcels: each completed order must hold one `shipment`. */
  const shipping = (rows: TargetEffects['rows']): TargetEffects => ({ rows, requiredKinds: ['shipment'] });
  const completed = (orderId: string, h: ConsumerHistory) =>
    h.order(orderId, 'ok').handled({ proc: 'w-1', id: `m:${orderId}`, queue: 'q' }, true, 'order-completed', orderId);

  it('is unknown when the target gave no effects to read (never valid by default)', async () => {
    const h = completed('o1', new ConsumerHistory());
    const result = await effectsChecker().check(runRecord(h.events));
    expect(result.valid).toBe('unknown');
    expect(result.summary).toMatch(/no run\.effects/);
  });

  it('passes when every completed order holds its required kinds once, and names a double one', async () => {
    const h = completed('o2', completed('o1', new ConsumerHistory()));
    expect(
      (
        await effectsChecker().check(
          runRecord(h.events, {
            effects: shipping([
              { orderId: 'o1', kind: 'shipment', count: 1 },
              { orderId: 'o2', kind: 'shipment', count: 1 },
            ]),
          }),
        )
      ).valid,
    ).toBe(true);
    const twice = await effectsChecker().check(
      runRecord(h.events, {
        effects: shipping([
          { orderId: 'o1', kind: 'shipment', count: 2 },
          { orderId: 'o2', kind: 'shipment', count: 1 },
        ]),
      }),
    );
    expect(twice.valid).toBe(false);
    expect(twice.summary).toMatch(/^order o1: shipment x2/);
  });

  it('leads with a duplicated required kind however many lesser duplicates came first, one example per kind', async () => {
    const h = completed('o3', completed('o2', completed('o1', new ConsumerHistory())));
    const result = await effectsChecker().check(
      runRecord(h.events, {
        effects: shipping([
          { orderId: 'o1', kind: 'email', count: 2 },
          { orderId: 'o1', kind: 'shipment', count: 1 },
          { orderId: 'o2', kind: 'email', count: 3 },
          { orderId: 'o2', kind: 'shipment', count: 1 },
          { orderId: 'o3', kind: 'shipment', count: 2 },
        ]),
      }),
    );
    expect(result.valid).toBe(false);
    expect(result.summary).toMatch(/^order o3: shipment x2, order o1: email x2; /);
  });

  it('knows a completed order only by the terminal effects the topology declares', async () => {
    const h = completed('o1', new ConsumerHistory());
    const noTerminal = { ...REFERENCE_TOPOLOGY, terminalEffects: { completed: ['parcel-delivered'], failed: [] } };
    // Under that declaration o1 never finished, and holding a shipment makes it partial.
    const result = await effectsChecker().check(
      runRecord(h.events, { topology: noTerminal, effects: shipping([{ orderId: 'o1', kind: 'shipment', count: 1 }]) }),
    );
    expect(violation(result, 'partial-order')?.examples[0]?.orderId).toBe('o1');
  });
});
