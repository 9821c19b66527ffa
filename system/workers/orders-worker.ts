import { parseMessage, type QueueHandler } from '../amqp/consumer.ts';
import { EXCHANGES, QUEUES, ROUTING_KEYS } from '../amqp/topology.ts';
import { messageIds, orderCreatedSchema, orderStatusSchema } from '../messages.ts';
import { systemMetrics } from '../metrics/system-metrics.ts';
import type { OrdersStore } from '../stores/orders-store.ts';

/**
 * Orders service: takes a new order into processing and asks payments to charge it; then folds
 * payment and inventory outcomes into the order's status until it is completed or failed.
 */
export function ordersHandlers(store: OrdersStore): QueueHandler[] {
  const metrics = systemMetrics();
  return [
    {
      queue: QUEUES.orderCreated,
      async handle(delivery) {
        const order = parseMessage(delivery, orderCreatedSchema);
        const { applied } = store.applyOnce(delivery.id, order.orderId, { kind: 'created', order });
        return {
          orderId: order.orderId,
          effect: 'order-processing',
          applied,
          publish: [
            {
              exchange: EXCHANGES.payments.name,
              routingKey: ROUTING_KEYS.paymentProcess,
              messageId: messageIds.paymentProcess(order.orderId),
              orderId: order.orderId,
              body: { orderId: order.orderId, userId: order.userId, amountCents: order.totalCents },
            },
          ],
        };
      },
    },
    {
      queue: QUEUES.orderStatus,
      async handle(delivery) {
        const update = parseMessage(delivery, orderStatusSchema);
        const { applied, status, createdAt } = store.applyOnce(delivery.id, update.orderId, { kind: 'status', update });
        // Once per order: only the message that completes it, or the one inventory failure, is fresh and terminal.
        if (applied && (status === 'completed' || (status === 'failed' && update.type === 'inventory.failed'))) metrics.orderFinished(status, (Date.now() - createdAt) / 1000);
        const effect = status === 'completed' ? 'order-completed' : status === 'failed' ? 'order-failed' : `order-${update.type}`;
        return { orderId: update.orderId, effect, applied, publish: [] };
      },
    },
  ];
}
