import { parseMessage, type QueueHandler } from '../amqp/consumer.ts';
import { deathsOf } from '../amqp/retry.ts';
import { QUEUES, retryTarget } from '../amqp/topology.ts';
import type { HistoryRecorder } from '../../instrument/index.ts';
import { orderCreatedSchema } from '../messages.ts';
import type { AuditStore } from '../stores/audit-store.ts';
import type { DeadLetterStore } from '../stores/dead-letter-store.ts';

/**
 * The auditor: keeps every dead letter, whatever its body (poison included), with the queue it
 * died in and why, and the audit trail of new orders from the bounded `order.audit` feed.
 *
 * A dead letter's cause is its latest death, the first entry of `x-death` (RabbitMQ keeps it most
 * recent first). `x-first-death-*` would name the first delay queue of a message that was retried
 * before it died. The delay-queue expiries further down are its retries.
 *
 * Recording a dead letter is not the process's simulated slow work; the audit feed is (a slow
 * auditor is how the feed overflows).
 */
export function deadLetterHandlers(store: DeadLetterStore, audit: AuditStore, history: HistoryRecorder): QueueHandler[] {
  return [
    {
      queue: QUEUES.deadLetter,
      simulatedWork: false,
      async handle(delivery) {
        const h = delivery.headers;
        const deaths = deathsOf(h['x-death']);
        const latest = deaths[0] ?? { queue: headerOr(h, 'x-first-death-queue'), reason: headerOr(h, 'x-first-death-reason'), count: 1 };
        const retries = deaths
          .filter((d) => d.reason === 'expired' && retryTarget(d.queue) === latest.queue)
          .reduce((n, d) => n + d.count, 0);
        const orderId = typeof h['x-order-id'] === 'string' ? h['x-order-id'] : undefined;
        const { queue, reason, count } = latest;
        const applied = store.recordOnce({
          messageId: delivery.id,
          ...(orderId ? { orderId } : {}),
          queue,
          reason,
          count,
          retries,
          body: delivery.content.toString('utf8'),
        });
        history.append({
          kind: 'dead-lettered',
          id: delivery.id,
          ...(orderId ? { orderId } : {}),
          queue,
          reason,
          count,
          ...(retries ? { retries } : {}),
        });
        return { orderId: orderId ?? '', effect: 'dead-letter-recorded', applied, publish: [] };
      },
    },
    {
      queue: QUEUES.orderAudit,
      async handle(delivery) {
        const order = parseMessage(delivery, orderCreatedSchema);
        const applied = audit.recordOnce(delivery.id, order.orderId, order.totalCents);
        return { orderId: order.orderId, effect: 'order-audited', applied, publish: [] };
      },
    },
  ];
}

function headerOr(headers: Record<string, unknown>, name: string): string {
  const value = headers[name];
  return typeof value === 'string' ? value : 'unknown';
}
