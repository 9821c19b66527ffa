import { describe, expect, it } from 'vitest';
import type { ZodType } from 'zod';
import {
  MALFORMED_KINDS,
  malformedBody,
  malformedCatalogue,
  malformedQueues,
  WELL_FORMED,
  type ParsedQueue,
} from '../../../harness/runner/malformed-messages.ts';
import { REFERENCE_TOPOLOGY } from '../../../system/target/declared-topology.ts';
import { parseMessage, PoisonMessageError, type Delivery, type QueueHandler } from '../../../system/amqp/consumer.ts';
import { BOUNDED_QUEUES, QUEUES, WORK_QUEUES, type QueueName } from '../../../system/amqp/topology.ts';
import type { HistoryWriter } from '../../../instrument/history-writer.ts';
import { notificationSchema, orderCreatedSchema, orderStatusSchema, paymentRequestSchema } from '../../../system/messages.ts';
import type { AuditStore } from '../../../system/stores/audit-store.ts';
import type { DeadLetterStore } from '../../../system/stores/dead-letter-store.ts';
import type { InventoryStore } from '../../../system/stores/inventory-store.ts';
import type { NotificationsStore } from '../../../system/stores/notifications-store.ts';
import type { OrdersStore } from '../../../system/stores/orders-store.ts';
import type { PaymentsStore } from '../../../system/stores/payments-store.ts';
import { deadLetterHandlers } from '../../../system/workers/dead-letter-auditor.ts';
import { inventoryHandlers } from '../../../system/workers/inventory-worker.ts';
import { notificationsHandlers } from '../../../system/workers/notifications-worker.ts';
import { ordersHandlers } from '../../../system/workers/orders-worker.ts';
import { paymentsHandlers } from '../../../system/workers/payments-worker.ts';

const MALFORMED_QUEUES = malformedQueues(REFERENCE_TOPOLOGY);

/** The schema each queue's worker parses with (what the workers import from system/messages.ts). */
const SCHEMAS: Record<string, ZodType> = {
  [QUEUES.orderCreated]: orderCreatedSchema,
  [QUEUES.inventoryUpdate]: orderCreatedSchema,
  [QUEUES.orderAudit]: orderCreatedSchema,
  [QUEUES.paymentProcess]: paymentRequestSchema,
  [QUEUES.orderStatus]: orderStatusSchema,
  [QUEUES.notificationSend]: notificationSchema,
};

/**
 * The real handlers of every worker. A store that is touched at all fails the test: a malformed
 * message must be refused by the parse, before any effect.
 */
const untouchable = <T>(name: string): T =>
  new Proxy(
    {},
    {
      get: (_, prop) => {
        throw new Error(`${name}.${String(prop)} was used: the message got past the parse`);
      },
    },
  ) as T;
const HANDLERS: QueueHandler[] = [
  ...ordersHandlers(untouchable<OrdersStore>('orders store')),
  ...paymentsHandlers(untouchable<PaymentsStore>('payments store')),
  ...inventoryHandlers(untouchable<InventoryStore>('inventory store')),
  ...notificationsHandlers(untouchable<NotificationsStore>('notifications store')),
  ...deadLetterHandlers(
    untouchable<DeadLetterStore>('dead-letter store'),
    untouchable<AuditStore>('audit store'),
    untouchable<HistoryWriter>('history'),
  ),
];

function delivery(queue: ParsedQueue, content: Buffer): Delivery {
  return { id: `test:${queue}`, queue: queue as QueueName, content, redelivered: false, headers: {} };
}

describe('the malformed message catalogue', () => {
  const PARSED = Object.keys(WELL_FORMED) as Exclude<QueueName, typeof QUEUES.deadLetter>[];

  it('knows a body of every work queue, each of which has a worker parsing it', () => {
    expect([...PARSED].sort()).toEqual([...WORK_QUEUES].sort());
    for (const queue of PARSED)
      expect(
        HANDLERS.some((h) => h.queue === queue),
        queue,
      ).toBe(true);
  });

  it('injects into every work queue but the bounded ones, where an overflow may take a message first', () => {
    expect([...MALFORMED_QUEUES].sort()).toEqual([...WORK_QUEUES].filter((q) => BOUNDED_QUEUES[q] === undefined).sort());
    expect(MALFORMED_QUEUES).not.toContain(QUEUES.orderAudit);
    expect(MALFORMED_QUEUES).toHaveLength(WORK_QUEUES.length - 1);
  });

  it('starts from a body each queue accepts, so what breaks it is the malformation', () => {
    for (const queue of PARSED)
      expect(() => parseMessage(delivery(queue, Buffer.from(JSON.stringify(WELL_FORMED[queue]))), SCHEMAS[queue]!), queue).not.toThrow();
  });

  it('every kind of every queue is refused as poison by the real worker handler, before any effect', async () => {
    for (const queue of PARSED) {
      const handler = HANDLERS.find((h) => h.queue === queue)!;
      for (const kind of MALFORMED_KINDS) {
        const content = malformedBody(queue, kind);
        await expect(handler.handle(delivery(queue, content)), `${queue}/${kind}`).rejects.toBeInstanceOf(PoisonMessageError);
        expect(() => parseMessage(delivery(queue, content), SCHEMAS[queue]!), `${queue}/${kind}`).toThrow(PoisonMessageError);
      }
    }
  });

  it('each kind is what it says: bad JSON does not parse, the others are JSON (but empty), missing-ids lacks the orderId', () => {
    for (const queue of PARSED) {
      expect(() => JSON.parse(malformedBody(queue, 'bad-json').toString())).toThrow(SyntaxError);
      expect(malformedBody(queue, 'empty').length).toBe(0);
      const missing = JSON.parse(malformedBody(queue, 'missing-ids').toString()) as Record<string, unknown>;
      expect(missing).not.toHaveProperty('orderId');
      expect(Object.keys(missing).length).toBeGreaterThan(0);
      expect(typeof (JSON.parse(malformedBody(queue, 'wrong-types').toString()) as Record<string, unknown>)['orderId']).toBe('number');
      expect(() => parseMessage(delivery(queue, malformedBody(queue, 'wrong-schema')), SCHEMAS[queue]!)).toThrow(/invalid message/);
    }
  });

  it('gives each queue n messages with ids malformed:<queue>:<n>, one of each kind, interleaved across queues', () => {
    const list = malformedCatalogue(5, MALFORMED_QUEUES);
    expect(list).toHaveLength(5 * MALFORMED_QUEUES.length);
    expect(new Set(list.map((m) => m.id)).size).toBe(list.length);
    expect(list.slice(0, MALFORMED_QUEUES.length).map((m) => m.queue)).toEqual(MALFORMED_QUEUES);
    for (const queue of MALFORMED_QUEUES) {
      const mine = list.filter((m) => m.queue === queue);
      expect(mine.map((m) => m.id)).toEqual([1, 2, 3, 4, 5].map((n) => `malformed:${queue}:${n}`));
      expect(mine.map((m) => m.kind)).toEqual([...MALFORMED_KINDS]);
    }
  });

  it('injects into the queues a target declares, with an order-like body where it knows no better', () => {
    const queues = malformedQueues({ workQueues: ['jobs', 'capped'], boundedQueues: { capped: 10 } });
    expect(queues).toEqual(['jobs']);
    expect(malformedCatalogue(2, queues).map((m) => m.id)).toEqual(['malformed:jobs:1', 'malformed:jobs:2']);
    expect(JSON.parse(malformedBody('jobs', 'missing-ids').toString())).not.toHaveProperty('orderId');
  });

  it('refuses a count that is not a positive integer, saying what it expected', () => {
    expect(() => malformedCatalogue(0, MALFORMED_QUEUES)).toThrow(/expected a positive integer, got 0/);
    expect(() => malformedCatalogue(1.5, MALFORMED_QUEUES)).toThrow(/positive integer/);
  });
});
