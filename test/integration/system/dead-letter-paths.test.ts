// The three ways a message dies in the reference system, against a real broker and real worker
// processes: a failure that may pass on retry waits out a growing backoff in the broker's delay
// queues (surviving a worker crash there) and is dead-lettered after its last attempt; a
// flash-sale payment expires at its deadline; the bounded audit feed drops its oldest entries.
import amqp from 'amqplib';
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartedReferenceSystem } from '../../support/reference-system.ts';
import { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import {
  AUDIT_MAX_LENGTH,
  EXCHANGES,
  MAX_ATTEMPTS,
  QUEUES,
  RETRY_DELAYS_MS,
  ROUTING_KEYS,
  retryQueue,
} from '../../../system/amqp/topology.ts';
import type { HistoryEvent } from '../../../instrument/history-event.ts';
import { FLASH_PRODUCT_PREFIX, messageIds, POISON_PRODUCT_PREFIX } from '../../../system/messages.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('dead-letter-paths');
/** Longer than the flash-sale deadline (50 ms), as in the reference system's defaults. */
const PAYMENTS_MS = 100;
/** The broker's TTL timer fires on time give or take a little; a delay is never shorter than its TTL. */
const EARLY_TOLERANCE_MS = 20;
const LATE_TOLERANCE_MS = 1_000;
let node: StartedRabbitNode;
let system: StartedReferenceSystem;

beforeAll(async () => {
  node = await StartedRabbitNode.start({ dir: join(dir.path, 'broker') });
  system = await StartedReferenceSystem.start(
    dir.path,
    { publishUrl: node.amqpUrl(), consumeUrl: node.amqpUrl() },
    {
      instances: { orders: 1, payments: 1, inventory: 1, notifications: 1, 'dead-letter': 1 },
      flaws: [],
      processingMs: { payments: PAYMENTS_MS },
    },
  );
});
afterAll(async () => {
  await system?.stop();
  await node?.dispose();
  dir.remove();
});

interface DeadLetterRow {
  message_id: string;
  order_id: string | null;
  queue: string;
  reason: string;
  death_count: number;
  retries: number;
}

function deadLetter(messageId: string): DeadLetterRow | undefined {
  return query<DeadLetterRow>('dead-letters', 'SELECT * FROM dead_letters WHERE message_id = ?', messageId)[0];
}

function query<T>(store: string, sql: string, ...params: unknown[]): T[] {
  const file = join(system.dataDir, `${store}.sqlite`);
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

function history(instance: string): HistoryEvent[] {
  return readFileSync(join(system.historyDir, `${instance}.jsonl`), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as HistoryEvent);
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function placeOrder(id: string, productId: string): Promise<void> {
  const response = await fetch(`${system.apiUrl}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, userId: 'u1', items: [{ productId, quantity: 1, price: 2.5 }] }),
  });
  expect(response.status).toBe(202);
}

/** Messages the broker holds in each queue (ready + unacked). */
async function depths(): Promise<Map<string, number>> {
  const out = await node.ctl('list_queues', '--quiet', '--no-table-headers', 'name', 'messages');
  return new Map(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split('\t')[0]!, Number(l.split('\t')[1])]),
  );
}

function charges(orderId: string): number {
  return query<{ n: number }>('payments', 'SELECT COUNT(*) AS n FROM payments WHERE order_id = ?', orderId)[0]?.n ?? 0;
}

describe('a payment that fails every time (poison item)', () => {
  it(
    'is retried with the broker delays 500, 1000, 2000 ms, ' + 'then dead-lettered as rejected with its retries counted in x-death',
    async () => {
      const orderId = 'retry-1';
      const id = messageIds.paymentProcess(orderId);
      await placeOrder(orderId, `${POISON_PRODUCT_PREFIX}p-1`);
      const row = await until('dead letter recorded', () => deadLetter(id));
      expect(row).toMatchObject({
        queue: QUEUES.paymentProcess,
        reason: 'rejected',
        death_count: 1,
        retries: RETRY_DELAYS_MS.length,
        order_id: orderId,
      });

      const events = history('payments-1').filter((e) => 'id' in e && e.id === id);
      const deliveries = events.filter((e) => e.kind === 'deliver');
      const retries = events.filter((e) => e.kind === 'retry');
      expect(deliveries).toHaveLength(MAX_ATTEMPTS);
      // Each retry is a new copy from the delay queue, not a redelivery.
      expect(deliveries.every((d) => d.kind === 'deliver' && !d.redelivered)).toBe(true);
      expect(retries.map((r) => (r.kind === 'retry' ? [r.attempt, r.delayMs] : []))).toEqual(RETRY_DELAYS_MS.map((ms, k) => [k + 1, ms]));
      for (const [k, retry] of retries.entries()) {
        const waited = deliveries[k + 1]!.t - retry.t;
        expect(waited, `wait before attempt ${k + 2}`).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[k]! - EARLY_TOLERANCE_MS);
        expect(waited, `wait before attempt ${k + 2}`).toBeLessThan(RETRY_DELAYS_MS[k]! + LATE_TOLERANCE_MS);
      }
      const settles = events.filter((e) => e.kind === 'ack' || e.kind === 'reject');
      expect(settles.map((e) => e.kind)).toEqual(['ack', 'ack', 'ack', 'reject']);
      expect(events.find((e) => e.kind === 'reject')).toMatchObject({
        requeue: false,
        reason: expect.stringContaining(`gave up after ${MAX_ATTEMPTS} attempts`),
      });
      expect(charges(orderId)).toBe(0);
      const audited = history('dead-letter-1').find((e) => e.kind === 'dead-lettered' && e.id === id);
      expect(audited).toMatchObject({
        orderId,
        queue: QUEUES.paymentProcess,
        reason: 'rejected',
        count: 1,
        retries: RETRY_DELAYS_MS.length,
      });
    },
  );

  it(
    'waits out its backoff in the broker: a worker killed meanwhile loses nothing, ' + 'the restarted one carries on from the same attempt',
    async () => {
      const orderId = 'retry-crash';
      const id = messageIds.paymentProcess(orderId);
      const payments = system.find('payments-1')!;
      await placeOrder(orderId, `${POISON_PRODUCT_PREFIX}p-2`);
      // Killed once the first retry's copy is confirmed and the failed delivery acked.
      await until('first retry scheduled', () => {
        const events = history('payments-1').filter((e) => 'id' in e && e.id === id);
        const retry = events.findIndex((e) => e.kind === 'retry');
        return retry >= 0 && events.slice(retry).some((e) => e.kind === 'ack') ? true : undefined;
      });
      await payments.kill();
      // Nothing in any process's memory now: the copy is in the first delay queue, then back in the work queue, unconsumed.
      const held = await depths();
      expect((held.get(retryQueue(QUEUES.paymentProcess, 1)) ?? 0) + (held.get(QUEUES.paymentProcess) ?? 0)).toBe(1);
      await until('back in the work queue after its delay', async () =>
        (await depths()).get(QUEUES.paymentProcess) === 1 ? true : undefined,
      );
      expect(deadLetter(id)).toBeUndefined();

      await payments.start();
      const row = await until('dead letter recorded after the restart', () => deadLetter(id));
      expect(row).toMatchObject({ reason: 'rejected', retries: RETRY_DELAYS_MS.length });
      const attempts = history('payments-1').filter((e) => e.kind === 'retry' && e.id === id);
      expect(attempts.map((e) => (e.kind === 'retry' ? e.attempt : 0))).toEqual([1, 2, 3]);
    },
  );
});

describe('a flash-sale payment', () => {
  it('expires at its deadline (shorter than the gateway call): the broker dead-letters it as expired, nobody charges it', async () => {
    const orderId = 'flash-1';
    const id = messageIds.paymentProcess(orderId);
    await placeOrder(orderId, `${FLASH_PRODUCT_PREFIX}p-3`);
    const row = await until('dead letter recorded', () => deadLetter(id));
    expect(row).toMatchObject({ queue: QUEUES.paymentProcess, reason: 'expired', death_count: 1, retries: 0, order_id: orderId });
    const events = history('payments-1').filter((e) => 'id' in e && e.id === id);
    // Handed back past its deadline, it is expired by the broker, not redelivered.
    expect(events.map((e) => e.kind)).toEqual(['deliver', 'nack']);
    expect(events[1]).toMatchObject({ requeue: true, reason: expect.stringContaining('deadline passed') });
    expect(charges(orderId)).toBe(0);
  });

  it('leaves ordinary orders alone: they are charged', async () => {
    await placeOrder('plain-1', 'p-4');
    await until('plain order charged', () => (charges('plain-1') === 1 ? true : undefined));
  });
});

describe('the bounded audit feed', () => {
  it('keeps its newest entries when the auditor is away and dead-letters the oldest as maxlen', async () => {
    const auditor = system.find('dead-letter-1')!;
    await auditor.kill();
    const overflow = 5;
    const ids = Array.from({ length: AUDIT_MAX_LENGTH + overflow }, (_, k) => `audit-${k}`);
    const connection = await amqp.connect(node.amqpUrl());
    try {
      const channel = await connection.createConfirmChannel();
      for (const orderId of ids) {
        const body = {
          orderId,
          userId: 'u1',
          items: [{ productId: 'p-1', quantity: 1, priceCents: 100 }],
          totalCents: 100,
          acceptedAt: Date.now(),
        };
        channel.publish(EXCHANGES.orders.name, ROUTING_KEYS.orderAudited, Buffer.from(JSON.stringify(body)), {
          persistent: true,
          messageId: messageIds.orderAudit(orderId),
          headers: { 'x-order-id': orderId },
        });
      }
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    const held = await depths();
    expect(held.get(QUEUES.orderAudit)).toBe(AUDIT_MAX_LENGTH);
    expect(held.get(QUEUES.deadLetter)).toBe(overflow);

    await auditor.start();
    const dropped = ids.slice(0, overflow).map((orderId) => messageIds.orderAudit(orderId));
    const rows = await until('overflow recorded', () => {
      const found = dropped.map(deadLetter);
      return found.every(Boolean) ? (found as DeadLetterRow[]) : undefined;
    });
    for (const row of rows) expect(row).toMatchObject({ queue: QUEUES.orderAudit, reason: 'maxlen', death_count: 1 });
    const kept = await until('the rest audited', () => {
      const n = query<{ n: number }>('audit', "SELECT COUNT(*) AS n FROM audit_trail WHERE order_id LIKE 'audit-%'")[0]?.n ?? 0;
      return n === AUDIT_MAX_LENGTH ? n : undefined;
    });
    expect(kept).toBe(AUDIT_MAX_LENGTH);
    expect(query('dead-letters', "SELECT 1 FROM dead_letters WHERE reason = 'maxlen'")).toHaveLength(overflow);
  });
});
