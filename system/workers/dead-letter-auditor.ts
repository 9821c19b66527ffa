import type { QueueHandler } from '../amqp/consumer.ts';
import { QUEUES } from '../amqp/topology.ts';
import type { HistoryWriter } from '../history/history-writer.ts';
import type { DeadLetterStore } from '../stores/dead-letter-store.ts';

/**
 * Dead-letter auditor: keeps every dead letter, whatever its body (poison included), with the
 * queue it died in and why, read from RabbitMQ's `x-first-death-*` and `x-death` headers.
 */
export function deadLetterHandlers(store: DeadLetterStore, history: HistoryWriter): QueueHandler[] {
  return [
    {
      queue: QUEUES.deadLetter,
      async handle(delivery) {
        const h = delivery.headers;
        const queue = typeof h['x-first-death-queue'] === 'string' ? h['x-first-death-queue'] : 'unknown';
        const reason = typeof h['x-first-death-reason'] === 'string' ? h['x-first-death-reason'] : 'unknown';
        const orderId = typeof h['x-order-id'] === 'string' ? h['x-order-id'] : undefined;
        const count = deathCount(h['x-death'], queue, reason);
        const applied = store.recordOnce({ messageId: delivery.id, ...(orderId ? { orderId } : {}), queue, reason, count, body: delivery.content.toString('utf8') });
        history.append({ kind: 'dead-lettered', id: delivery.id, ...(orderId ? { orderId } : {}), queue, reason, count });
        return { orderId: orderId ?? '', effect: 'dead-letter-recorded', applied, publish: [] };
      },
    },
  ];
}

/** `x-death` holds one entry per (queue, reason) with how many times the message died that way. */
function deathCount(xDeath: unknown, queue: string, reason: string): number {
  if (!Array.isArray(xDeath)) return 1;
  const entry = xDeath.find((d: Record<string, unknown>) => d?.queue === queue && d?.reason === reason) as { count?: unknown } | undefined;
  return typeof entry?.count === 'number' ? entry.count : 1;
}
