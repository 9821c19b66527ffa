/**
 * The shape of what every process writes to its history (one JSON object per line).
 * The harness's checkers read these; the system writes them. Both sides import this file,
 * so it is the single contract between the thing under test and the thing that judges it.
 */

/** Jepsen's three outcomes: `info` means the writer cannot know whether the operation took effect. */
export type Outcome = 'ok' | 'fail' | 'info';

/**
 * What the workload meant a message or order to do, recorded by whoever sent it, so a checker
 * can tell a death the workload asked for from a loss:
 * - `normal`: must be processed; reaching the dead-letter queue is a loss;
 * - `poison`: must fail every attempt and be dead-lettered (`rejected`) after the configured retries;
 * - `expire`: must not be processed after its deadline: dead-lettered `expired`;
 * - `malformed`: a message no worker can parse: dead-lettered `rejected` at once, never acked and dropped.
 */
export type Intent = 'normal' | 'poison' | 'expire' | 'malformed';
export const INTENTS: readonly Intent[] = ['normal', 'poison', 'expire', 'malformed'];

interface EventBase {
  /** Wall-clock time in milliseconds (fractional), comparable across processes on one machine. */
  t: number;
  /** The writing process, e.g. `api-1`, `payments-2`, `harness`, `client`. */
  proc: string;
}

/** A publish is about to be written to the broker. Always followed by a `publish-result` unless the process died. */
export interface PublishAttemptEvent extends EventBase {
  kind: 'publish-attempt';
  id: string;
  orderId: string;
  exchange: string;
  routingKey: string;
  /** Set by a workload that publishes straight to the broker (e.g. malformed messages injected by the harness). */
  intent?: Intent;
}

export interface PublishResultEvent extends EventBase {
  kind: 'publish-result';
  id: string;
  orderId: string;
  outcome: Outcome;
  /** Why the outcome is not `ok` (channel closed, returned as unroutable, nacked, timed out...). */
  error?: string;
}

export interface DeliverEvent extends EventBase {
  kind: 'deliver';
  id: string;
  orderId?: string;
  queue: string;
  consumer: string;
  deliveryTag: number;
  redelivered: boolean;
  /** Identifies the channel the delivery arrived on: delivery tags are only unique within it. */
  channel: number;
  /** The channel consumes with noAck: the broker settled this delivery as it sent it (absent: manual acks). */
  autoAck?: boolean;
}

export interface SettleEvent extends EventBase {
  kind: 'ack' | 'nack' | 'reject';
  id: string;
  queue: string;
  consumer: string;
  deliveryTag: number;
  channel: number;
  requeue?: boolean;
  reason?: string;
}

/**
 * The consumer finished its work for a delivery: its effect is committed (or was already
 * committed by an earlier delivery of the same message: `applied: false`). This is what
 * "consumed" means to the zero-loss checker.
 */
export interface HandledEvent extends EventBase {
  kind: 'handled';
  id: string;
  orderId: string;
  queue: string;
  consumer: string;
  applied: boolean;
  /** Domain effect, e.g. `payment-charged`, `stock-reserved`, `order-completed`. */
  effect: string;
}

/**
 * A delivery failed in a way that may pass on retry: a copy of the message (same id) is confirmed
 * in the delay queue of its next attempt, and the delivery is acked next. The copy comes back to
 * `queue` after `delayMs`, without redelivered=true (it is a new copy, published here).
 */
export interface RetryEvent extends EventBase {
  kind: 'retry';
  id: string;
  orderId?: string;
  queue: string;
  consumer: string;
  deliveryTag: number;
  channel: number;
  /** The attempt that failed (1 = the first delivery). */
  attempt: number;
  delayMs: number;
  reason: string;
}

/** The dead-letter auditor stored a dead-lettered message. Counts as accounted-for at `queue`. */
export interface DeadLetteredEvent extends EventBase {
  kind: 'dead-lettered';
  id: string;
  orderId?: string;
  /** The queue the message died in: its latest death in `x-death` (earlier ones may be retry delays). */
  queue: string;
  reason: string;
  /** How many times it died in that queue for that reason (`x-death` count). */
  count: number;
  /** Broker-side retries it went through before (expiries of its work queue's delay queues in `x-death`). */
  retries?: number;
}

/** The load client's view of one `POST /orders`. */
export interface OrderRequestEvent extends EventBase {
  kind: 'order-request';
  orderId: string;
  outcome: Outcome;
  status?: number;
  error?: string;
  latencyMs?: number;
  /** What the order was meant to do (absent in old histories: `normal`). */
  intent?: Intent;
  /** 1 for the first request of this order id; each client retry (same id, same body) counts up. */
  attempt?: number;
  /** First attempts: how long after its due time the load generator sent it (latency from the due time = lateMs + latencyMs). */
  lateMs?: number;
}

/**
 * The open-model load generator never sent this order: no free slot at its due time, or its thread
 * was stalled past the grace. Offered load the system never saw, shown in the report's timelines.
 */
export interface OrderDroppedEvent extends EventBase {
  kind: 'order-dropped';
  /** Its index in the arrival schedule. */
  index: number;
  reason: 'no-free-slot' | 'late';
}

/**
 * The harness read this message back from `queue` after the drain, with the system's consumers
 * stopped (Jepsen's final drain): the broker still held it, so it is stuck, not lost.
 */
export interface FinalReadEvent extends EventBase {
  kind: 'final-read';
  /** The AMQP message id (`no-id` when the message carried none). */
  id: string;
  orderId?: string;
  /** The queue it was read from (a work queue, a retry delay queue or the dead-letter queue). */
  queue: string;
  redelivered: boolean;
  /** Read from a dead-letter queue: the queue it died in (its latest `x-death`). */
  diedIn?: string;
}

export interface FaultEvent extends EventBase {
  kind: 'fault';
  name: string;
  /**
   * `start`: its start begins; `in-effect`: its start finished (the fault holds); `healing`: its heal
   * begins; `stop`: its heal finished. Older histories hold only `start` and `stop`.
   */
  phase: 'start' | 'in-effect' | 'healing' | 'stop';
  /** What the fault does (chaos/fault.ts FaultTrait), so checkers never match faults by name. */
  traits?: readonly string[];
  detail?: string;
}

/** Process lifecycle and connection state, for reading a run after the fact. */
export interface LifecycleEvent extends EventBase {
  kind: 'lifecycle';
  event: 'start' | 'ready' | 'connected' | 'disconnected' | 'blocked' | 'unblocked' | 'stopping' | 'consumer-cancelled' | 'handler-error';
  detail?: string;
}

export type HistoryEvent =
  | PublishAttemptEvent
  | PublishResultEvent
  | DeliverEvent
  | SettleEvent
  | HandledEvent
  | RetryEvent
  | DeadLetteredEvent
  | OrderRequestEvent
  | OrderDroppedEvent
  | FinalReadEvent
  | FaultEvent
  | LifecycleEvent;

export type HistoryEventKind = HistoryEvent['kind'];

/** What a writer supplies: the writer adds `t` and `proc`. */
export type HistoryRecord = HistoryEvent extends infer E ? (E extends HistoryEvent ? Omit<E, 't' | 'proc'> : never) : never;
