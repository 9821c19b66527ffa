import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Role } from '../config.ts';
import { WORK_QUEUES } from '../amqp/topology.ts';

/**
 * The Prometheus metrics of one system process: one registry, one prefix, base units, `_total` on
 * counters and only bounded label values (queues, reasons, outcomes, purposes; never an order id).
 * Every series carries `role` and `proc` (the process instance, e.g. `payments-2`): the consumer
 * instance of the per-queue series is `proc`.
 *
 * Hot-path methods only bump pre-created children; series a dashboard shows are created at zero
 * up front so a panel has data before the first event.
 */

export const METRIC_PREFIX = 'order_system_';

export const REJECT_REASONS = ['invalid', 'conflict', 'unavailable'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/**
 * What became of one publish: `confirmed` by the broker, `unconfirmed` (sent on a plain channel,
 * the no-confirms flaw), `returned` as unroutable, `nacked`, `in_doubt` (channel died or confirm
 * timed out), `failed` (not connected, or the client refused to send it).
 */
export const PUBLISH_OUTCOMES = ['confirmed', 'unconfirmed', 'returned', 'nacked', 'in_doubt', 'failed'] as const;
export type PublishOutcome = (typeof PUBLISH_OUTCOMES)[number];

export const CONNECTION_PURPOSES = ['publish', 'consume'] as const;
export type ConnectionPurpose = (typeof CONNECTION_PURPOSES)[number];

/** RabbitMQ's dead-letter reasons; anything else (a forged header) is counted as `other`. */
export const DEAD_LETTER_REASONS = ['rejected', 'expired', 'maxlen', 'delivery_limit'] as const;
const OTHER = 'other';

export const ORDER_OUTCOMES = ['completed', 'failed'] as const;
export type OrderOutcome = (typeof ORDER_OUTCOMES)[number];

/** Handling a message takes from under a millisecond to a slow gateway call's seconds. */
export const PROCESSING_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** An order crosses three queues and two services; under faults it may wait for minutes. */
export const ORDER_LATENCY_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** A consumer's per-queue counters, bound once per queue. */
export interface QueueMetrics {
  /** A delivery arrived and is now held by this consumer. */
  received(redelivered: boolean): void;
  /** Effect committed and downstream messages confirmed, `seconds` after the delivery arrived. */
  processed(seconds: number): void;
  acked(): void;
  nacked(): void;
  rejected(): void;
  /** Acked after a copy went to a delay queue for another attempt. */
  retried(): void;
  /** The delivery's work is over (settled, or abandoned with its channel). */
  released(): void;
}

export interface SystemMetricsOptions {
  /** Registers only the families this role produces; all of them when omitted (tests, tools). */
  role?: Role;
  instance?: string;
  /** Node's default process metrics (CPU, memory, event loop lag, GC). */
  defaultMetrics?: boolean;
}

export class SystemMetrics {
  readonly registry = new Registry();
  readonly #role: Role | undefined;
  readonly #ordersAccepted: Counter;
  readonly #ordersRejected: Counter<'reason'>;
  readonly #orderLatency: Histogram<'outcome'>;
  readonly #publishes: Counter<'outcome'>;
  readonly #delivered: Counter<'queue'>;
  readonly #redelivered: Counter<'queue'>;
  readonly #acked: Counter<'queue'>;
  readonly #nacked: Counter<'queue'>;
  readonly #rejected: Counter<'queue'>;
  readonly #retried: Counter<'queue'>;
  readonly #inFlight: Gauge<'queue'>;
  readonly #processing: Histogram<'queue'>;
  readonly #deadLetters: Counter<'queue' | 'reason'>;
  readonly #connectionUp: Gauge<'purpose'>;
  readonly #connectionBlocked: Gauge<'purpose'>;
  readonly #disconnects: Counter<'purpose'>;
  readonly #queues = new Map<string, QueueMetrics>();
  #publishCounters: Record<PublishOutcome, () => void> | null = null;

  constructor(options: SystemMetricsOptions = {}) {
    const role = (this.#role = options.role);
    if (options.role && options.instance) this.registry.setDefaultLabels({ role: options.role, proc: options.instance });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    const at = (...roles: Role[]) => (role === undefined || roles.includes(role) ? [this.registry] : []);
    const workers: Role[] = ['orders', 'payments', 'inventory', 'notifications', 'dead-letter'];
    const p = METRIC_PREFIX;

    this.#ordersAccepted = new Counter({
      name: `${p}orders_accepted_total`,
      help: 'New orders answered 202: the broker confirmed their order.created.',
      registers: at('api'),
    });
    this.#ordersRejected = new Counter({
      name: `${p}orders_rejected_total`,
      help: 'Orders refused, by reason: invalid (400), conflict (409: same id, other body), unavailable (503: no broker confirm).',
      labelNames: ['reason'],
      registers: at('api'),
    });
    this.#orderLatency = new Histogram({
      name: `${p}order_latency_seconds`,
      help: "End to end: from the order's acceptedAt (API) to the orders worker marking it completed or failed.",
      labelNames: ['outcome'],
      buckets: ORDER_LATENCY_BUCKETS_SECONDS,
      registers: at('orders'),
    });
    this.#publishes = new Counter({
      name: `${p}publishes_total`,
      help:
        'Publishes by outcome: confirmed, unconfirmed (no confirms), returned (unroutable), nacked, ' +
        'in_doubt (channel died or confirm timed out), failed (not sent).',
      labelNames: ['outcome'],
      registers: at('api', 'orders', 'payments', 'inventory', 'notifications', 'dead-letter'),
    });
    const queueCounter = (name: string, help: string) =>
      new Counter({ name: `${p}${name}`, help, labelNames: ['queue'], registers: at(...workers) });
    this.#delivered = queueCounter('messages_delivered_total', 'Deliveries received by this consumer, per queue.');
    this.#redelivered = queueCounter('messages_redelivered_total', 'Deliveries flagged redelivered by the broker, per queue.');
    this.#acked = queueCounter('messages_acked_total', 'Deliveries acknowledged after their effect was committed, per queue.');
    this.#nacked = queueCounter(
      'messages_nacked_total',
      'Deliveries negatively acknowledged with requeue (their deadline passed: the broker expires them), per queue.',
    );
    this.#rejected = queueCounter(
      'messages_rejected_total',
      'Deliveries rejected without requeue: sent to the dead-letter exchange, per queue.',
    );
    this.#retried = queueCounter(
      'messages_retried_total',
      'Failed deliveries acked after a copy went to a broker delay queue for another attempt, per queue.',
    );
    this.#inFlight = new Gauge({
      name: `${p}consumer_in_flight_messages`,
      help: 'Deliveries this consumer holds and has not settled yet (its unacked messages, with manual ack).',
      labelNames: ['queue'],
      registers: at(...workers),
    });
    this.#processing = new Histogram({
      name: `${p}message_processing_seconds`,
      help: 'From delivery until the effect is committed and every downstream message is confirmed, per queue.',
      labelNames: ['queue'],
      buckets: PROCESSING_BUCKETS_SECONDS,
      registers: at(...workers),
    });
    this.#deadLetters = new Counter({
      name: `${p}dead_letters_total`,
      help: 'Dead letters recorded by the auditor, by the queue they died in and RabbitMQ reason.',
      labelNames: ['queue', 'reason'],
      registers: at('dead-letter'),
    });
    this.#connectionUp = new Gauge({
      name: `${p}amqp_connection_up`,
      help: 'AMQP connection state per purpose: 1 connected, 0 not.',
      labelNames: ['purpose'],
      registers: at('api', ...workers),
    });
    this.#connectionBlocked = new Gauge({
      name: `${p}amqp_connection_blocked`,
      help: '1 while the broker blocks the connection (resource alarm), per purpose.',
      labelNames: ['purpose'],
      registers: at('api', ...workers),
    });
    this.#disconnects = new Counter({
      name: `${p}amqp_disconnects_total`,
      help: 'AMQP connections lost or failed to connect, per purpose.',
      labelNames: ['purpose'],
      registers: at('api', ...workers),
    });
    this.#precreate();
  }

  orderAccepted(): void {
    this.#ordersAccepted.inc();
  }

  orderRejected(reason: RejectReason): void {
    this.#ordersRejected.inc({ reason });
  }

  orderFinished(outcome: OrderOutcome, seconds: number): void {
    this.#orderLatency.observe({ outcome }, Math.max(0, seconds));
  }

  /** One bound increment per outcome: the publisher calls these on its hot path. */
  publishCounters(): Readonly<Record<PublishOutcome, () => void>> {
    if (!this.#publishCounters) {
      const counters = {} as Record<PublishOutcome, () => void>;
      for (const outcome of PUBLISH_OUTCOMES) {
        const child = this.#publishes.labels({ outcome });
        counters[outcome] = () => child.inc();
      }
      this.#publishCounters = counters;
    }
    return this.#publishCounters;
  }

  /** The consumer's counters for one queue, created (at zero) on first request. */
  queue(queue: string): QueueMetrics {
    let metrics = this.#queues.get(queue);
    if (metrics) return metrics;
    const labels = { queue };
    for (const c of [this.#delivered, this.#redelivered, this.#acked, this.#nacked, this.#rejected, this.#retried]) c.inc(labels, 0);
    this.#inFlight.set(labels, 0);
    this.#processing.zero(labels);
    const delivered = this.#delivered.labels(labels);
    const redelivered = this.#redelivered.labels(labels);
    const acked = this.#acked.labels(labels);
    const nacked = this.#nacked.labels(labels);
    const rejected = this.#rejected.labels(labels);
    const retried = this.#retried.labels(labels);
    const inFlight = this.#inFlight.labels(labels);
    const processing = this.#processing.labels(labels);
    metrics = {
      received(isRedelivery) {
        delivered.inc();
        if (isRedelivery) redelivered.inc();
        inFlight.inc();
      },
      processed: (seconds) => processing.observe(seconds),
      acked: () => acked.inc(),
      nacked: () => nacked.inc(),
      rejected: () => rejected.inc(),
      retried: () => retried.inc(),
      released: () => inFlight.dec(),
    };
    this.#queues.set(queue, metrics);
    return metrics;
  }

  deadLettered(queue: string, reason: string): void {
    this.#deadLetters.inc({ queue: bounded(queue, WORK_QUEUES), reason: bounded(reason, DEAD_LETTER_REASONS) });
  }

  /** Connection state for one purpose. Fed from the history's lifecycle events (see metered-history.ts). */
  connectionState(purpose: ConnectionPurpose, up: boolean): void {
    this.#connectionUp.set({ purpose }, up ? 1 : 0);
    if (!up) {
      this.#disconnects.inc({ purpose });
      // A new connection starts unblocked; the broker tells us again if the alarm persists.
      this.#connectionBlocked.set({ purpose }, 0);
    }
  }

  connectionBlocked(purpose: ConnectionPurpose, blocked: boolean): void {
    this.#connectionBlocked.set({ purpose }, blocked ? 1 : 0);
  }

  /** Prometheus text exposition of this registry. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  #precreate(): void {
    const role = this.#role;
    const is = (...roles: Role[]) => role === undefined || roles.includes(role);
    if (is('api')) for (const reason of REJECT_REASONS) this.#ordersRejected.inc({ reason }, 0);
    if (is('orders')) for (const outcome of ORDER_OUTCOMES) this.#orderLatency.zero({ outcome });
    for (const outcome of PUBLISH_OUTCOMES) this.#publishes.inc({ outcome }, 0);
    const purposes: readonly ConnectionPurpose[] = role === 'api' ? ['publish'] : CONNECTION_PURPOSES;
    for (const purpose of purposes) {
      this.#connectionUp.set({ purpose }, 0);
      this.#connectionBlocked.set({ purpose }, 0);
      this.#disconnects.inc({ purpose }, 0);
    }
    if (is('dead-letter'))
      for (const queue of WORK_QUEUES) for (const reason of DEAD_LETTER_REASONS) this.#deadLetters.inc({ queue, reason }, 0);
  }
}

function bounded(value: string, known: readonly string[]): string {
  return known.includes(value) ? value : OTHER;
}

let current: SystemMetrics | null = null;

/**
 * The process's metrics. A system process is one role, so one registry per process; code deep in
 * the AMQP layer reaches it here instead of having it threaded through every constructor.
 */
export function systemMetrics(): SystemMetrics {
  current ??= new SystemMetrics();
  return current;
}

/** Called once at process start (process-runtime) with the process's role and instance. */
export function initSystemMetrics(options: { role: Role; instance: string }): SystemMetrics {
  current = new SystemMetrics({ ...options, defaultMetrics: true });
  return current;
}
