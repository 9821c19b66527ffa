import type { HistoryEvent, HistoryRecord, Intent, Outcome } from '../../instrument/history-event.ts';

/**
 * Builds hand-made histories for checker tests: a little DSL over the real event shapes, so a test
 * reads like the story it tells ("the API published, the broker confirmed, nobody consumed").
 */
export class HistoryBuilder {
  readonly events: HistoryEvent[] = [];
  #t = 1_000;

  add(proc: string, record: HistoryRecord): this {
    this.events.push({ t: this.#t++, proc, ...record } as HistoryEvent);
    return this;
  }

  /** The client's view of one order (one attempt). */
  order(orderId: string, outcome: Outcome, intent: Intent = 'normal', attempt = 1): this {
    return this.add('client', { kind: 'order-request', orderId, outcome, status: outcome === 'ok' ? 202 : 503, intent, attempt });
  }

  /** The harness read `id` back from `queue` after the drain (the broker still held it). */
  finalRead(id: string, queue: string, orderId?: string, diedIn?: string): this {
    return this.add('harness', {
      kind: 'final-read',
      id,
      queue,
      redelivered: false,
      ...(orderId ? { orderId } : {}),
      ...(diedIn ? { diedIn } : {}),
    });
  }

  publish(proc: string, id: string, orderId: string, exchange: string, routingKey: string, outcome: Outcome | 'none'): this {
    this.add(proc, { kind: 'publish-attempt', id, orderId, exchange, routingKey });
    if (outcome !== 'none') this.add(proc, { kind: 'publish-result', id, orderId, outcome });
    return this;
  }

  handled(proc: string, id: string, orderId: string, queue: string, effect = 'done', applied = true): this {
    return this.add(proc, { kind: 'handled', id, orderId, queue, consumer: proc, applied, effect });
  }

  deadLettered(id: string, orderId: string, queue: string, reason = 'rejected'): this {
    return this.add('dead-letter-1', { kind: 'dead-lettered', id, orderId, queue, reason, count: 1 });
  }

  /** A whole order through the reference pipeline, every stage confirmed and consumed once. */
  completeOrder(orderId: string): this {
    this.order(orderId, 'ok');
    this.publish('api-1', `order.created:${orderId}`, orderId, 'orders', 'order.created', 'ok');
    this.handled('orders-1', `order.created:${orderId}`, orderId, 'order.created', 'order-processing');
    this.handled('inventory-1', `order.created:${orderId}`, orderId, 'inventory.update', 'stock-reserved');
    this.publish('orders-1', `payment.process:${orderId}`, orderId, 'payments', 'process', 'ok');
    this.handled('payments-1', `payment.process:${orderId}`, orderId, 'payment.process', 'payment-charged');
    this.publish('payments-1', `payment.succeeded:${orderId}`, orderId, 'orders', 'payment.succeeded', 'ok');
    this.publish('inventory-1', `inventory.reserved:${orderId}`, orderId, 'orders', 'inventory.reserved', 'ok');
    this.handled('orders-1', `payment.succeeded:${orderId}`, orderId, 'order.status', 'order-payment.succeeded');
    this.handled('orders-1', `inventory.reserved:${orderId}`, orderId, 'order.status', 'order-completed');
    this.publish('payments-1', `notification.payment_succeeded:${orderId}`, orderId, 'notifications', '', 'ok');
    this.publish('inventory-1', `notification.inventory_reserved:${orderId}`, orderId, 'notifications', '', 'ok');
    this.handled('notifications-1', `notification.payment_succeeded:${orderId}`, orderId, 'notification.send', 'notification-sent');
    this.handled('notifications-1', `notification.inventory_reserved:${orderId}`, orderId, 'notification.send', 'notification-sent');
    this.publish('orders-1', `order.audit:${orderId}`, orderId, 'orders', 'order.audited', 'ok');
    this.handled('dead-letter-1', `order.audit:${orderId}`, orderId, 'order.audit', 'order-audited');
    return this;
  }
}
