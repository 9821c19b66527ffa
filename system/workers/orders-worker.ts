import { parseMessage, type QueueHandler } from '../amqp/consumer.ts';
import { EXCHANGES, QUEUES, ROUTING_KEYS } from '../amqp/topology.ts';
import {
  FLASH_PAYMENT_DEADLINE_MS,
  FLASH_PRODUCT_PREFIX,
  messageIds,
  orderCreatedSchema,
  orderStatusSchema,
  type OrderCreated,
  type OutgoingMessage,
} from '../messages.ts';
import { systemMetrics } from '../metrics/system-metrics.ts';
import type { OrdersStore } from '../stores/orders-store.ts';

/**
 * Orders service: takes a new order into processing, asks payments to charge it and adds it to the
 * audit feed; then folds payment and inventory outcomes into the order's status until it is
 * completed or failed.
 */
export function ordersHandlers(store: OrdersStore): QueueHandler[] {
  const metrics = systemMetrics();
  return [
    {
      queue: QUEUES.orderCreated,
      async handle(delivery) {
        const order = parseMessage(delivery, orderCreatedSchema);
        const { applied } = store.applyOnce(delivery.id, order.orderId, { kind: 'created', order });
        return { orderId: order.orderId, effect: 'order-processing', applied, publish: [paymentRequest(order), auditEntry(order)] };
      },
    },
    {
      queue: QUEUES.orderStatus,
      async handle(delivery) {
        const update = parseMessage(delivery, orderStatusSchema);
        const { applied, status, createdAt } = store.applyOnce(delivery.id, update.orderId, { kind: 'status', update });
        // Once per order: only the message that completes it, or the one inventory failure, is fresh and terminal.
        if (applied && (status === 'completed' || (status === 'failed' && update.type === 'inventory.failed')))
          metrics.orderFinished(status, (Date.now() - createdAt) / 1000);
        const effect = status === 'completed' ? 'order-completed' : status === 'failed' ? 'order-failed' : `order-${update.type}`;
        return { orderId: update.orderId, effect, applied, publish: [] };
      },
    },
  ];
}

/** The order's entry in the best-effort audit feed (a bounded queue: see topology.ts). */
function auditEntry(order: OrderCreated): OutgoingMessage {
  return {
    exchange: EXCHANGES.orders.name,
    routingKey: ROUTING_KEYS.orderAudited,
    messageId: messageIds.orderAudit(order.orderId),
    orderId: order.orderId,
    body: order,
  };
}

/**
 * The payment request of an order, with its line items. An order with a flash-sale item must be
 * paid before the item's price hold lapses: the request carries that deadline, and the message
 * expires at it, so the broker dead-letters a payment nobody could take in time.
 */
function paymentRequest(order: OrderCreated): OutgoingMessage {
  const productIds = order.items.map((i) => i.productId);
  const flash = productIds.some((p) => p.startsWith(FLASH_PRODUCT_PREFIX));
  // A redelivered order.created sends the request again, with a fresh deadline: each copy expires on its own.
  const expiresAt = flash ? Date.now() + FLASH_PAYMENT_DEADLINE_MS : undefined;
  return {
    exchange: EXCHANGES.payments.name,
    routingKey: ROUTING_KEYS.paymentProcess,
    messageId: messageIds.paymentProcess(order.orderId),
    orderId: order.orderId,
    body: {
      orderId: order.orderId,
      userId: order.userId,
      amountCents: order.totalCents,
      productIds,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    },
    ...(expiresAt !== undefined ? { expirationMs: FLASH_PAYMENT_DEADLINE_MS } : {}),
  };
}
