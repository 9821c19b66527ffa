import { DeadlineExceededError, parseMessage, type QueueHandler } from '../amqp/consumer.ts';
import { EXCHANGES, QUEUES, ROUTING_KEYS } from '../amqp/topology.ts';
import { messageIds, paymentRequestSchema, POISON_PRODUCT_PREFIX, type PaymentRequest } from '../messages.ts';
import type { PaymentsStore } from '../stores/payments-store.ts';

/** The payment gateway failed the charge; such an error may pass on retry (it never does for poison items). */
export class PaymentGatewayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentGatewayError';
  }
}

/** Payments service: charges each order once, then tells the orders service and the customer. */
export function paymentsHandlers(store: PaymentsStore): QueueHandler[] {
  return [
    {
      queue: QUEUES.paymentProcess,
      async handle(delivery) {
        const request = parseMessage(delivery, paymentRequestSchema);
        const { orderId } = request;
        // A redelivery of a charge already taken only repeats the follow-ups, whatever the deadline or the gateway says now.
        let applied = false;
        if (!store.isCharged(orderId)) {
          // Checked once the gateway call's time has passed (the consumer's simulated work): a late charge is never taken.
          if (request.expiresAt !== undefined && Date.now() >= request.expiresAt) {
            throw new DeadlineExceededError(`payment of ${orderId}: deadline passed ${Math.round(Date.now() - request.expiresAt)} ms ago`);
          }
          gatewayCharge(request);
          applied = store.chargeOnce(request);
        }
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

/** The simulated gateway: it errors on every charge that includes a poison item. */
function gatewayCharge(request: PaymentRequest): void {
  const poison = request.productIds?.find((p) => p.startsWith(POISON_PRODUCT_PREFIX));
  if (poison) throw new PaymentGatewayError(`payment of ${request.orderId}: gateway error (item ${poison})`);
}
