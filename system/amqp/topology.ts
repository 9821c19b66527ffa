import type { Channel } from 'amqplib';

/**
 * The order system's broker topology as data: the article's layout (orders topic, payments direct,
 * notifications fanout, a DLX with a dead-letter queue) with its defects fixed:
 * - nothing consumes and republishes to its own binding (the article's order.created loop);
 *   inventory gets `order.created` through its own queue bound to the same key;
 * - the fanout is bound with an empty key (fanout ignores keys; the article used `*`);
 * - the dead-letter queue is bound with the exact key every queue dead-letters with (the article
 *   bound `*` on a direct exchange, which only matches the literal string `*`);
 * - no `x-max-retries` (RabbitMQ ignores unknown arguments).
 * Every process declares all of it on every (re)connect, so publishes are routable whichever
 * process reconnects first after a broker restart.
 */

export const EXCHANGES = {
  orders: { name: 'orders', type: 'topic' },
  payments: { name: 'payments', type: 'direct' },
  notifications: { name: 'notifications', type: 'fanout' },
  deadLetter: { name: 'dlx', type: 'direct' },
} as const;

export const QUEUES = {
  orderCreated: 'order.created',
  inventoryUpdate: 'inventory.update',
  orderStatus: 'order.status',
  paymentProcess: 'payment.process',
  notificationSend: 'notification.send',
  deadLetter: 'dead_letter_queue',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const ROUTING_KEYS = {
  orderCreated: 'order.created',
  paymentProcess: 'process',
  paymentSucceeded: 'payment.succeeded',
  inventoryReserved: 'inventory.reserved',
  inventoryFailed: 'inventory.failed',
  deadLetter: 'dead-letter',
} as const;

export interface Binding {
  queue: QueueName;
  exchange: string;
  pattern: string;
}

export const BINDINGS: readonly Binding[] = [
  { queue: QUEUES.orderCreated, exchange: EXCHANGES.orders.name, pattern: ROUTING_KEYS.orderCreated },
  { queue: QUEUES.inventoryUpdate, exchange: EXCHANGES.orders.name, pattern: ROUTING_KEYS.orderCreated },
  { queue: QUEUES.orderStatus, exchange: EXCHANGES.orders.name, pattern: 'payment.*' },
  { queue: QUEUES.orderStatus, exchange: EXCHANGES.orders.name, pattern: 'inventory.*' },
  { queue: QUEUES.paymentProcess, exchange: EXCHANGES.payments.name, pattern: ROUTING_KEYS.paymentProcess },
  { queue: QUEUES.notificationSend, exchange: EXCHANGES.notifications.name, pattern: '' },
  { queue: QUEUES.deadLetter, exchange: EXCHANGES.deadLetter.name, pattern: ROUTING_KEYS.deadLetter },
];

/** Queues whose rejected messages must reach the dead-letter queue. */
export const WORK_QUEUES: readonly QueueName[] = [
  QUEUES.orderCreated,
  QUEUES.inventoryUpdate,
  QUEUES.orderStatus,
  QUEUES.paymentProcess,
  QUEUES.notificationSend,
];

export interface TopologyOptions {
  /** The `transient` flaw: queues that do not survive a broker restart. */
  durableQueues: boolean;
}

export async function assertTopology(channel: Channel, options: TopologyOptions): Promise<void> {
  for (const exchange of Object.values(EXCHANGES)) {
    await channel.assertExchange(exchange.name, exchange.type, { durable: true });
  }
  for (const queue of WORK_QUEUES) {
    await channel.assertQueue(queue, {
      durable: options.durableQueues,
      arguments: {
        'x-dead-letter-exchange': EXCHANGES.deadLetter.name,
        'x-dead-letter-routing-key': ROUTING_KEYS.deadLetter,
      },
    });
  }
  await channel.assertQueue(QUEUES.deadLetter, { durable: options.durableQueues });
  for (const b of BINDINGS) await channel.bindQueue(b.queue, b.exchange, b.pattern);
}

/** The queues a message published with this exchange and routing key lands in. */
export function routesTo(exchange: string, routingKey: string): QueueName[] {
  const type = Object.values(EXCHANGES).find((e) => e.name === exchange)?.type;
  if (!type) return [];
  const queues = BINDINGS.filter((b) => b.exchange === exchange && bindingMatches(type, b.pattern, routingKey)).map((b) => b.queue);
  return [...new Set(queues)];
}

function bindingMatches(type: 'topic' | 'direct' | 'fanout', pattern: string, key: string): boolean {
  if (type === 'fanout') return true;
  if (type === 'direct') return pattern === key;
  return topicMatches(pattern.split('.'), key.split('.'));
}

/** AMQP topic matching: `*` is exactly one word, `#` is zero or more words. */
export function topicMatches(pattern: readonly string[], words: readonly string[]): boolean {
  if (pattern.length === 0) return words.length === 0;
  const [head, ...rest] = pattern;
  if (head === '#') {
    for (let i = 0; i <= words.length; i++) if (topicMatches(rest, words.slice(i))) return true;
    return false;
  }
  if (words.length === 0) return false;
  return (head === '*' || head === words[0]) && topicMatches(rest, words.slice(1));
}
