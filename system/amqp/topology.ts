import type { Channel } from 'amqplib';

/**
 * The order system's broker topology as data: the article's layout (orders topic, payments direct,
 * notifications fanout, a DLX with a dead-letter queue) with its defects fixed:
 * - nothing consumes and republishes to its own binding (the article's order.created loop);
 *   inventory gets `order.created` through its own queue bound to the same key;
 * - the fanout is bound with an empty key (fanout ignores keys; the article used `*`);
 * - the dead-letter queue is bound with the exact key every queue dead-letters with (the article
 *   bound `*` on a direct exchange, which only matches the literal string `*`);
 * - no `x-max-retries` (RabbitMQ ignores unknown arguments): a failure that may pass on retry
 *   goes through broker-side delay queues (`<queue>.retry.<n>`, see RETRY_DELAYS_MS) whose TTL
 *   dead-letters the message back into its work queue through the default exchange; never a
 *   timer in process memory.
 * Plus one deliberately bounded queue, `order.audit`: a best-effort audit feed of new orders (the
 * orders worker publishes `order.audited` for each order it takes) that the auditor drains. It
 * keeps at most AUDIT_MAX_LENGTH messages; when the auditor lags, the oldest are dropped
 * (`drop-head`) into the dead-letter queue with reason `maxlen`, so the feed never grows without
 * bound and a gap in it is recorded, not silent. No order depends on it.
 * Every process declares all of it on every (re)connect, so publishes are routable whichever
 * process reconnects first after a broker restart.
 * On a cluster every queue is a quorum queue (replicated, survives the loss of a minority of nodes);
 * on a single broker they are classic (see queueDeclarations).
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
  orderAudit: 'order.audit',
  deadLetter: 'dead_letter_queue',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const ROUTING_KEYS = {
  orderCreated: 'order.created',
  orderAudited: 'order.audited',
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
  { queue: QUEUES.orderAudit, exchange: EXCHANGES.orders.name, pattern: ROUTING_KEYS.orderAudited },
  { queue: QUEUES.deadLetter, exchange: EXCHANGES.deadLetter.name, pattern: ROUTING_KEYS.deadLetter },
];

/** Queues whose rejected messages must reach the dead-letter queue. */
export const WORK_QUEUES: readonly QueueName[] = [
  QUEUES.orderCreated,
  QUEUES.inventoryUpdate,
  QUEUES.orderStatus,
  QUEUES.paymentProcess,
  QUEUES.notificationSend,
  QUEUES.orderAudit,
];

/** How many messages the bounded audit feed keeps before it drops the oldest (`maxlen` dead letters). */
export const AUDIT_MAX_LENGTH = 200;
/** Queues with a length limit, and that limit. */
export const BOUNDED_QUEUES: Readonly<Partial<Record<QueueName, number>>> = { [QUEUES.orderAudit]: AUDIT_MAX_LENGTH };
/** Queues whose messages may be dropped by design (their dead letters do not decide any order's fate). */
export const BEST_EFFORT_QUEUES: readonly QueueName[] = [QUEUES.orderAudit];

/**
 * Broker-side backoff: the n-th retry of a message waits RETRY_DELAYS_MS[n-1] in `<queue>.retry.<n>`
 * (a queue with that TTL and no consumer) and is then dead-lettered back into its work queue.
 * After MAX_ATTEMPTS deliveries that all failed, the message is rejected into the dead-letter queue.
 */
export const RETRY_DELAYS_MS: readonly number[] = [500, 1_000, 2_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
/** The default exchange: routes to the queue named by the routing key. */
export const DEFAULT_EXCHANGE = '';

/** The delay queue of a work queue's `level`-th retry (1-based). */
export function retryQueue(queue: QueueName, level: number): string {
  return `${queue}.retry.${level}`;
}

const RETRY_QUEUE = /^(.+)\.retry\.(\d+)$/;

/** The work queue a delay queue feeds back into, or undefined for any other name. */
export function retryTarget(queue: string): QueueName | undefined {
  const match = RETRY_QUEUE.exec(queue);
  if (!match) return undefined;
  const target = WORK_QUEUES.find((q) => q === match[1]);
  const level = Number(match[2]);
  return target && level >= 1 && level <= RETRY_DELAYS_MS.length ? target : undefined;
}

export interface TopologyOptions {
  /** The `transient` flaw: queues that do not survive a broker restart. */
  durableQueues: boolean;
  /** false = the `no-dlx` flaw: work queues without a dead-letter exchange. */
  deadLetterExchange: boolean;
  /** `quorum` on a cluster (replicated on every node); `classic` (the default) on a single broker. */
  queueType?: 'classic' | 'quorum';
}

/** Options no broker would accept together (a programming error, not a run's condition). */
export class TopologyOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyOptionsError';
  }
}

/** One queue as the system declares it. */
export interface QueueDeclaration {
  queue: string;
  options: { durable: boolean; arguments: Record<string, unknown> };
}

/**
 * Every queue the system declares, in declaration order. On a cluster they are quorum queues, and
 * a quorum queue dead-letters at most once unless told otherwise: a dead letter whose target is
 * briefly unavailable (its leader moving after a node loss) would be dropped. So the work queues
 * and the delay queues (whose dead-lettering *is* the retry) dead-letter at least once, which
 * RabbitMQ only honours with `x-overflow: reject-publish` (any other overflow silently falls back
 * to at most once; none of these queues has a length limit, so nothing is ever refused). The audit
 * feed keeps its `drop-head` bound and so dead-letters at most once, said explicitly: it is
 * best-effort by design, and at least once would mean `reject-publish`, refusing new entries
 * instead of dropping the oldest. Quorum queues are always durable, so `durableQueues` false (the
 * `transient` flaw) is only ever asked of classic queues (system/amqp/publishing.ts).
 */
export function queueDeclarations(options: TopologyOptions): QueueDeclaration[] {
  const quorum = options.queueType === 'quorum';
  if (quorum && !options.durableQueues)
    throw new TopologyOptionsError('quorum queues are always durable: non-durable queues must be classic');
  const type = quorum ? { 'x-queue-type': 'quorum' } : {};
  const atLeastOnce = quorum ? { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } : {};
  const declare = (queue: string, args: Record<string, unknown>): QueueDeclaration => ({
    queue,
    options: { durable: options.durableQueues, arguments: { ...type, ...args } },
  });
  const toDeadLetters = { 'x-dead-letter-exchange': EXCHANGES.deadLetter.name, 'x-dead-letter-routing-key': ROUTING_KEYS.deadLetter };
  const out: QueueDeclaration[] = [];
  for (const queue of WORK_QUEUES) {
    const maxLength = BOUNDED_QUEUES[queue];
    const bounded = maxLength !== undefined;
    const deadLettering = options.deadLetterExchange
      ? { ...toDeadLetters, ...(quorum ? (bounded ? { 'x-dead-letter-strategy': 'at-most-once' } : atLeastOnce) : {}) }
      : {};
    out.push(declare(queue, { ...deadLettering, ...(bounded ? { 'x-max-length': maxLength, 'x-overflow': 'drop-head' } : {}) }));
    for (const [k, delayMs] of RETRY_DELAYS_MS.entries())
      out.push(
        declare(retryQueue(queue, k + 1), {
          'x-message-ttl': delayMs,
          'x-dead-letter-exchange': DEFAULT_EXCHANGE,
          'x-dead-letter-routing-key': queue,
          ...atLeastOnce,
        }),
      );
  }
  out.push(declare(QUEUES.deadLetter, {}));
  return out;
}

/** Declares exchanges, queues and bindings; the consumers ask nothing a quorum queue refuses (per-consumer prefetch, no exclusive consumers). */
export async function assertTopology(
  channel: Pick<Channel, 'assertExchange' | 'assertQueue' | 'bindQueue'>,
  options: TopologyOptions,
): Promise<void> {
  for (const exchange of Object.values(EXCHANGES)) {
    await channel.assertExchange(exchange.name, exchange.type, { durable: true });
  }
  for (const { queue, options: queueOptions } of queueDeclarations(options)) await channel.assertQueue(queue, queueOptions);
  for (const b of BINDINGS) await channel.bindQueue(b.queue, b.exchange, b.pattern);
}

/**
 * The queues a message published with this exchange and routing key is consumed from. A message
 * sent to a delay queue is consumed from the work queue it returns to once its delay is over.
 */
export function routesTo(exchange: string, routingKey: string): QueueName[] {
  if (exchange === DEFAULT_EXCHANGE) {
    const direct = Object.values(QUEUES).find((q) => q === routingKey);
    const target = direct ?? retryTarget(routingKey);
    return target ? [target] : [];
  }
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
