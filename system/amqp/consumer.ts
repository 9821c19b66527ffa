import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { ZodType } from 'zod';
import type { HistoryWriter } from '../../instrument/history-writer.ts';
import type { OutgoingMessage } from '../messages.ts';
import { systemMetrics, type QueueMetrics } from '../metrics/system-metrics.ts';
import type { Publisher } from './publisher.ts';
import { attemptOf, mayRetry, retryCopy, retryDelayMs } from './retry.ts';
import { TimerRetries } from './timer-retries.ts';
import type { QueueName } from './topology.ts';
import { WorkSlots } from './work-slots.ts';

/** A message that can never be processed (unparseable, invalid): it goes to the dead-letter queue at once. */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/**
 * The message's deadline passed before its work could be done: it must not be done late. If the
 * message carries a broker expiration, it is handed back (nack, requeue) and the broker, which
 * owns the deadline, dead-letters it as `expired`; without one it is rejected.
 */
export class DeadlineExceededError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeadlineExceededError';
  }
}

export interface Delivery {
  id: string;
  queue: QueueName;
  /** Raw body: handlers parse and validate it (see `parseMessage`). */
  content: Buffer;
  redelivered: boolean;
  headers: Record<string, unknown>;
}

/** What a handler did: its committed effect and the messages that must follow it downstream. */
export interface Handled {
  orderId: string;
  effect: string;
  /** false when an earlier delivery of the same message already committed the effect. */
  applied: boolean;
  publish: OutgoingMessage[];
}

export interface QueueHandler {
  queue: QueueName;
  handle(delivery: Delivery): Promise<Handled>;
  /** false: this queue's work is not the process's simulated slow call (e.g. recording a dead letter). Default true. */
  simulatedWork?: boolean;
}

export interface ConsumerOptions {
  instance: string;
  history: HistoryWriter;
  publisher: Publisher;
  handlers: readonly QueueHandler[];
  prefetch: number;
  /** true = the `auto-ack` flaw. */
  autoAck: boolean;
  /** true = the `timer-retry` flaw: retries from process-memory timers instead of the broker's delay queues. */
  timerRetry: boolean;
  /** true = the `drop-malformed` flaw: an unparseable message is acked and dropped, not rejected into the DLX. */
  dropMalformed?: boolean;
  /** Simulated work per message before the effect (a payment gateway call, say). */
  processingMs: number;
  /** How many messages per queue the simulated work runs for at once. */
  concurrency: number;
  /** A channel died without its connection: ask for a fresh connection. */
  onChannelLost: () => void;
}

const PUBLISH_RETRY_MIN_MS = 100;
const PUBLISH_RETRY_MAX_MS = 1_000;

type Where = { id: string; queue: QueueName; consumer: string; deliveryTag: number; channel: number };

/**
 * Consumes the worker's queues with the reference discipline: an explicit per-consumer prefetch,
 * manual acknowledgement only after the effect is committed and every downstream message is
 * confirmed, and nothing acked on a channel that died (the broker redelivers those; handlers are
 * idempotent). A failed delivery is settled by what failed:
 * - poison (unparseable, invalid): rejected at once into the dead-letter exchange;
 * - a passed deadline: handed back to the broker, which expires it (see DeadlineExceededError);
 * - anything else may pass on retry: a copy waits out a growing backoff in the broker's delay
 *   queues (confirmed before the delivery is acked), and after MAX_ATTEMPTS failed attempts the
 *   delivery is rejected into the dead-letter exchange.
 */
export class Consumer {
  readonly #options: ConsumerOptions;
  /** Channels of the current connection that still hold their deliveries, with their consumer tags. */
  readonly #open = new Map<Channel, string[]>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #metrics: ReadonlyMap<QueueName, QueueMetrics>;
  readonly #slots: ReadonlyMap<QueueName, WorkSlots>;
  readonly #timerRetries: TimerRetries | undefined;
  #stopping = false;

  constructor(options: ConsumerOptions) {
    this.#options = options;
    this.#metrics = new Map(options.handlers.map((h) => [h.queue, systemMetrics().queue(h.queue)]));
    this.#slots = new Map(options.handlers.map((h) => [h.queue, new WorkSlots(options.concurrency)]));
    this.#timerRetries = options.timerRetry ? new TimerRetries(options.publisher) : undefined;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  async attach(model: ChannelModel): Promise<void> {
    const { instance, prefetch, autoAck } = this.#options;
    for (const handler of this.#options.handlers) {
      const metrics = this.#metrics.get(handler.queue)!;
      const channel = await model.createChannel();
      channel.on('error', () => {});
      channel.on('close', () => {
        const wasOpen = this.#open.delete(channel);
        if (wasOpen && !this.#stopping) this.#options.onChannelLost();
      });
      this.#open.set(channel, []);
      await channel.prefetch(prefetch, false);
      const { consumerTag } = await channel.consume(
        handler.queue,
        (msg) => {
          if (msg === null) {
            if (this.#stopping) return;
            // The broker cancelled us (queue deleted): only a fresh connection re-declares and re-subscribes.
            this.#options.history.append({ kind: 'lifecycle', event: 'consumer-cancelled', detail: handler.queue });
            this.#open.delete(channel);
            this.#options.onChannelLost();
            return;
          }
          this.#track(this.#process(channel, handler, msg, metrics), metrics);
        },
        { noAck: autoAck, consumerTag: `${instance}.${handler.queue}.${Date.now()}` },
      );
      this.#open.get(channel)?.push(consumerTag);
    }
  }

  detach(): void {
    this.#open.clear();
  }

  /** Stop taking work and wait (bounded) for what is in flight, so a graceful stop acks what it finished. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    for (const [channel, tags] of this.#open) for (const tag of tags) await channel.cancel(tag).catch(() => {});
    await Promise.race([Promise.allSettled([...this.#inFlight]), sleep(timeoutMs)]);
  }

  #track(work: Promise<void>, metrics: QueueMetrics): void {
    this.#inFlight.add(work);
    void work.finally(() => {
      this.#inFlight.delete(work);
      metrics.released();
    });
  }

  async #process(channel: Channel, handler: QueueHandler, msg: ConsumeMessage, metrics: QueueMetrics): Promise<void> {
    const started = performance.now();
    metrics.received(msg.fields.redelivered);
    const { history, instance } = this.#options;
    const channelId = (channel as unknown as { ch: number }).ch;
    const tag = msg.fields.deliveryTag;
    const id = typeof msg.properties.messageId === 'string' ? msg.properties.messageId : `no-id:${handler.queue}:${tag}`;
    const where: Where = { id, queue: handler.queue, consumer: instance, deliveryTag: tag, channel: channelId };
    const orderId = headerString(msg, 'x-order-id');
    history.append({ kind: 'deliver', ...where, ...(orderId ? { orderId } : {}), redelivered: msg.fields.redelivered });

    let handled: Handled;
    try {
      const { processingMs } = this.#options;
      if (processingMs > 0 && handler.simulatedWork !== false) await this.#slots.get(handler.queue)!.run(() => sleep(processingMs));
      handled = await handler.handle({ id, queue: handler.queue, content: msg.content, redelivered: msg.fields.redelivered, headers: msg.properties.headers ?? {} });
    } catch (err) {
      await this.#settleFailure(channel, msg, where, orderId, err as Error, metrics);
      return;
    }
    history.append({ kind: 'handled', id, orderId: handled.orderId, queue: handler.queue, consumer: instance, applied: handled.applied, effect: handled.effect });

    const confirmed = await Promise.all(handled.publish.map((out) => this.#publishUntilConfirmed(channel, out)));
    // The input will be redelivered (its channel died) and replayed idempotently: stop here.
    if (confirmed.includes(false)) return;
    metrics.processed((performance.now() - started) / 1000);
    if (this.#options.autoAck) return;
    if (!this.#open.has(channel)) return;
    channel.ack(msg);
    metrics.acked();
    history.append({ kind: 'ack', ...where });
  }

  async #publishUntilConfirmed(channel: Channel, out: OutgoingMessage): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.#options.publisher.publish(out);
      if (result.outcome === 'ok') return true;
      // In auto-ack mode nobody will redeliver the input: keep trying as long as the process lives.
      const inputStillHeld = this.#options.autoAck || this.#open.has(channel);
      if (!inputStillHeld || this.#stopping) return false;
      await sleep(Math.min(PUBLISH_RETRY_MIN_MS * 2 ** attempt, PUBLISH_RETRY_MAX_MS));
    }
  }

  async #settleFailure(channel: Channel, msg: ConsumeMessage, where: Where, orderId: string | undefined, err: Error, metrics: QueueMetrics): Promise<void> {
    const { history } = this.#options;
    if (this.#options.autoAck || !this.#open.has(channel)) return;
    if (err instanceof PoisonMessageError) {
      if (this.#options.dropMalformed) return this.#dropMalformed(channel, msg, where, err.message, metrics);
      return this.#reject(channel, msg, where, err.message, metrics);
    }
    if (err instanceof DeadlineExceededError) {
      if (msg.properties.expiration === undefined) return this.#reject(channel, msg, where, err.message, metrics);
      // Requeued past its expiration, the message is dead-lettered by the broker (`expired`), not redelivered.
      channel.nack(msg, false, true);
      metrics.nacked();
      history.append({ kind: 'nack', ...where, requeue: true, reason: err.message });
      return;
    }
    if (this.#timerRetries) return this.#timerRetries.fail(channel, msg, where, orderId, err, metrics, history);
    const attempt = attemptOf(msg);
    if (!mayRetry(attempt)) return this.#reject(channel, msg, where, `gave up after ${attempt} attempts: ${err.message}`, metrics);
    // The copy must be safe in the broker before the delivery is acked; if the channel dies first,
    // the delivery comes back and is retried again (at worst a duplicate copy, never none).
    const confirmed = await this.#publishUntilConfirmed(channel, retryCopy(where.queue, msg, attempt, orderId ?? '', where.id));
    if (!confirmed || !this.#open.has(channel)) return;
    history.append({ kind: 'retry', ...where, ...(orderId ? { orderId } : {}), attempt, delayMs: retryDelayMs(attempt), reason: err.message });
    channel.ack(msg);
    metrics.retried();
    history.append({ kind: 'ack', ...where });
  }

  /** The `drop-malformed` flaw: "nothing can be done with it", so it is logged and acked; the broker forgets it. */
  #dropMalformed(channel: Channel, msg: ConsumeMessage, where: Where, reason: string, metrics: QueueMetrics): void {
    process.stderr.write(`${this.#options.instance}: dropping unparseable message ${where.id} from ${where.queue}: ${reason}\n`);
    channel.ack(msg);
    metrics.acked();
    this.#options.history.append({ kind: 'ack', ...where });
  }

  #reject(channel: Channel, msg: ConsumeMessage, where: Where, reason: string, metrics: QueueMetrics): void {
    channel.reject(msg, false);
    metrics.rejected();
    this.#options.history.append({ kind: 'reject', ...where, requeue: false, reason });
  }
}

/** Parses and validates a delivery's JSON body; anything else is poison. */
export function parseMessage<T>(delivery: Delivery, schema: ZodType<T>): T {
  let raw: unknown;
  try {
    raw = JSON.parse(delivery.content.toString('utf8'));
  } catch {
    throw new PoisonMessageError(`${delivery.queue}: body is not JSON`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PoisonMessageError(`${delivery.queue}: invalid message: ${problems}`);
  }
  return parsed.data;
}

function headerString(msg: ConsumeMessage, name: string): string | undefined {
  const value = msg.properties.headers?.[name];
  return typeof value === 'string' ? value : undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
