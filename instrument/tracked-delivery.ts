import type { Channel, ConsumeMessage } from 'amqplib';
import type { HistoryRecorder } from './recorder.ts';
import { ORDER_ID_HEADER } from './instrumented-publisher.ts';

export interface TrackDeliveryOptions {
  /** Names the consumer in the history; default: the recorder's process name. */
  consumer?: string;
  /**
   * The channel consumes with `noAck`: the broker settled the delivery as it sent it. The checkers
   * judge such deliveries by their effect alone.
   */
  autoAck?: boolean;
}

export interface SettleOptions {
  requeue?: boolean;
  /** Why the delivery was handed back or refused, for a human reading the history. */
  reason?: string;
}

export interface EffectOptions {
  /** Default: the delivery's order id (`x-order-id` header), else its message id. */
  orderId?: string;
  /** false when an earlier delivery of the same message already committed this effect. Default true. */
  applied?: boolean;
}

export interface RetryOptions {
  /** The attempt that failed (1 = the first delivery). */
  attempt: number;
  delayMs: number;
  reason: string;
}

/**
 * One delivery as the history sees it. Receiving writes `deliver` (with the redelivered flag); each
 * settle method settles on the channel the message came on and writes what it did; `effect` writes
 * `handled`, which is what "consumed" means to the zero-loss checker: call it once the effect is
 * committed, before acking, so a crash in between shows up as a redelivery, never as a loss.
 */
export class TrackedDelivery {
  /** The message id (`no-id:<queue>:<tag>` when the message carried none). */
  readonly id: string;
  readonly queue: string;
  readonly consumer: string;
  readonly orderId: string | undefined;
  readonly message: ConsumeMessage;
  readonly #channel: Channel;
  readonly #history: HistoryRecorder;
  /** The event fields that place this delivery: tags are only unique within their channel. */
  readonly #where: { id: string; queue: string; consumer: string; deliveryTag: number; channel: number };

  /** Records the delivery (`deliver`) and returns its handle. */
  static receive(
    history: HistoryRecorder,
    channel: Channel,
    queue: string,
    message: ConsumeMessage,
    options: TrackDeliveryOptions = {},
  ): TrackedDelivery {
    const delivery = new TrackedDelivery(history, channel, queue, message, options.consumer ?? history.proc);
    const orderId = delivery.orderId;
    history.append({
      kind: 'deliver',
      ...delivery.#where,
      ...(orderId ? { orderId } : {}),
      redelivered: message.fields.redelivered,
      ...(options.autoAck ? { autoAck: true } : {}),
    });
    return delivery;
  }

  private constructor(history: HistoryRecorder, channel: Channel, queue: string, message: ConsumeMessage, consumer: string) {
    const tag = message.fields.deliveryTag;
    const id = message.properties.messageId;
    this.id = typeof id === 'string' ? id : `no-id:${queue}:${tag}`;
    this.queue = queue;
    this.consumer = consumer;
    this.orderId = headerString(message, ORDER_ID_HEADER);
    this.message = message;
    this.#channel = channel;
    this.#history = history;
    this.#where = { id: this.id, queue, consumer, deliveryTag: tag, channel: channelNumber(channel) };
  }

  get redelivered(): boolean {
    return this.message.fields.redelivered;
  }

  /** The channel's number: a delivery tag means something only together with it. */
  get channelNumber(): number {
    return this.#where.channel;
  }

  ack(): void {
    this.#channel.ack(this.message);
    this.#history.append({ kind: 'ack', ...this.#where });
  }

  /** Default requeue: true, as amqplib's. */
  nack({ requeue = true, reason }: SettleOptions = {}): void {
    this.#channel.nack(this.message, false, requeue);
    this.#history.append({ kind: 'nack', ...this.#where, requeue, ...(reason !== undefined ? { reason } : {}) });
  }

  /** Default requeue: false: a refused message goes to the dead-letter exchange, if the queue has one. */
  reject({ requeue = false, reason }: SettleOptions = {}): void {
    this.#channel.reject(this.message, requeue);
    this.#history.append({ kind: 'reject', ...this.#where, requeue, ...(reason !== undefined ? { reason } : {}) });
  }

  /** The work for this delivery is committed: `effect` names it (e.g. `payment-charged`). */
  effect(effect: string, { orderId, applied = true }: EffectOptions = {}): void {
    this.#history.append({
      kind: 'handled',
      id: this.id,
      orderId: orderId ?? this.orderId ?? this.id,
      queue: this.queue,
      consumer: this.consumer,
      applied,
      effect,
    });
  }

  /** A copy of the message is safely waiting to be retried (the service published it): settle this one next. */
  retry({ attempt, delayMs, reason }: RetryOptions): void {
    const orderId = this.orderId;
    this.#history.append({ kind: 'retry', ...this.#where, ...(orderId ? { orderId } : {}), attempt, delayMs, reason });
  }
}

/** amqplib keeps the channel number in a field its types do not declare. */
function channelNumber(channel: Channel): number {
  return (channel as unknown as { ch: number }).ch;
}

function headerString(msg: ConsumeMessage, name: string): string | undefined {
  const value: unknown = msg.properties.headers?.[name];
  return typeof value === 'string' ? value : undefined;
}
