import { parseMessage, type QueueHandler } from '../amqp/consumer.ts';
import { EXCHANGES, QUEUES, ROUTING_KEYS } from '../amqp/topology.ts';
import { messageIds, paymentRequestSchema } from '../messages.ts';
import type { PaymentsStore } from '../stores/payments-store.ts';

/** Payments service: charges each order once, then tells the orders service and the customer. */
export function paymentsHandlers(store: PaymentsStore): QueueHandler[] {
  return [
    {
      queue: QUEUES.paymentProcess,
      async handle(delivery) {
        const request = parseMessage(delivery, paymentRequestSchema);
        const applied = store.chargeOnce(request);
        const { orderId } = request;
        return {
          orderId,
          effect: 'payment-charged',
          applied,
          publish: [
            {
              exchange: EXCHANGES.orders.name,
              routingKey: ROUTING_KEYS.paymentSucceeded,
              messageId: messageIds.orderStatus(orderId, 'payment.succeeded'),
              orderId,
              body: { orderId, type: 'payment.succeeded' },
            },
            {
              exchange: EXCHANGES.notifications.name,
              routingKey: '',
              messageId: messageIds.notification(orderId, 'payment_succeeded'),
              orderId,
              body: { orderId, type: 'payment_succeeded' },
            },
          ],
        };
      },
    },
  ];
}
