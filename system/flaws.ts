/**
 * Named defects the reference system can be started with on purpose. Each one is a mistake from
 * the article (../shared/reference) that the harness exists to catch; a scenario that claims a
 * flaw must fail when the system runs with it. Flaws are opt-in only: the default system has none.
 */
export const FLAWS = {
  'no-confirms': 'publish fire-and-forget on a plain channel: answer 202 / ack the input without waiting for the broker to confirm',
  transient: 'non-durable queues and non-persistent messages: a broker restart forgets what was queued',
  'auto-ack': 'consume with automatic acknowledgement: a message is gone from the broker as soon as it is delivered',
  'no-heartbeat':
    'AMQP heartbeats off (heartbeat 0): a connection whose peer went silent is never noticed, so a black-holed link looks alive forever',
  'no-reconnect':
    "the article's connection handling: a plain connection with no recovery; " +
    'once it is lost the process stays disconnected (publishes fail, consumers are gone) until restarted',
  'prefetch-unbounded':
    "the article's prefetch 1000: every consumer may hold 1000 unacked deliveries, " +
    'so a slow consumer hoards a backlog (waiting for its few work slots) that a fast one could have taken',
  'no-dlx': 'work queues declared without a dead-letter exchange: rejected, expired and overflowed messages vanish',
  'timer-retry':
    "the article's retry: on a processing failure, ack the input and republish it " +
    'after a setTimeout counted in process memory; a crash during the delay loses the message',
  'no-idempotency': 'effects applied again on redelivery: payments charge twice, inventory reserves twice, notifications send twice',
  'drop-malformed': 'a message the worker cannot parse is acked and dropped (logged) instead of rejected into the dead-letter queue',
  'classic-in-cluster':
    'in a cluster, classic (non-replicated) durable queues instead of quorum queues: each lives on the node whose client declared it first, ' +
    'so killing or partitioning that node loses or blocks what it holds (on a single broker the queues are classic anyway: no change)',
  'single-node-client':
    'clients know only the first node of a cluster and never fail over: they reconnect, to that node alone, ' +
    'so while it is down or cut off the process stays disconnected though the rest of the cluster serves',
} as const satisfies Record<string, string>;

export type FlawName = keyof typeof FLAWS;

export const FLAW_NAMES = Object.keys(FLAWS) as FlawName[];

export class UnknownFlawError extends Error {
  constructor(readonly flaw: string) {
    super(`unknown flaw "${flaw}": expected one of ${FLAW_NAMES.join(', ')}`);
    this.name = 'UnknownFlawError';
  }
}

export function isFlawName(name: string): name is FlawName {
  return Object.hasOwn(FLAWS, name);
}
