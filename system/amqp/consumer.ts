import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { ZodType } from 'zod';
import { TrackedDelivery, type HistoryRecorder } from '../../instrument/index.ts';
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
  history: HistoryRecorder;
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
    const delivery = TrackedDelivery.receive(this.#options.history, channel, handler.queue, msg, {
      consumer: this.#options.instance,
      autoAck: this.#options.autoAck,
    });
    const { id } = delivery;

    let handled: Handled;
    try {
      const { processingMs } = this.#options;
      if (processingMs > 0 && handler.simulatedWork !== false) await this.#slots.get(handler.queue)!.run(() => sleep(processingMs));
      handled = await handler.handle({
        id,
        queue: handler.queue,
        content: msg.content,
        redelivered: msg.fields.redelivered,
        headers: msg.properties.headers ?? {},
      });
    } catch (err) {
      await this.#settleFailure(channel, handler.queue, delivery, err as Error, metrics);
      return;
    }
    delivery.effect(handled.effect, { orderId: handled.orderId, applied: handled.applied });

    const confirmed = await Promise.all(handled.publish.map((out) => this.#publishUntilConfirmed(channel, out)));
    // The input will be redelivered (its channel died) and replayed idempotently: stop here.
    if (confirmed.includes(false)) return;
    metrics.processed((performance.now() - started) / 1000);
    if (this.#options.autoAck) return;
    if (!this.#open.has(channel)) return;
    delivery.ack();
    metrics.acked();
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

  async #settleFailure(channel: Channel, queue: QueueName, delivery: TrackedDelivery, err: Error, metrics: QueueMetrics): Promise<void> {
    if (this.#options.autoAck || !this.#open.has(channel)) return;
    const msg = delivery.message;
    if (err instanceof PoisonMessageError) {
      if (this.#options.dropMalformed) return this.#dropMalformed(delivery, err.message, metrics);
      return this.#reject(delivery, err.message, metrics);
    }
    if (err instanceof DeadlineExceededError) {
      if (msg.properties.expiration === undefined) return this.#reject(delivery, err.message, metrics);
      // Requeued past its expiration, the message is dead-lettered by the broker (`expired`), not redelivered.
      delivery.nack({ requeue: true, reason: err.message });
      metrics.nacked();
      return;
    }
    if (this.#timerRetries) return this.#timerRetries.fail(queue, delivery, err, metrics);
    const attempt = attemptOf(msg);
    if (!mayRetry(attempt)) return this.#reject(delivery, `gave up after ${attempt} attempts: ${err.message}`, metrics);
    // The copy must be safe in the broker before the delivery is acked; if the channel dies first,
    // the delivery comes back and is retried again (at worst a duplicate copy, never none).
    const confirmed = await this.#publishUntilConfirmed(channel, retryCopy(queue, msg, attempt, delivery.orderId ?? '', delivery.id));
    if (!confirmed || !this.#open.has(channel)) return;
    delivery.retry({ attempt, delayMs: retryDelayMs(attempt), reason: err.message });
    delivery.ack();
    metrics.retried();
  }

  /** The `drop-malformed` flaw: "nothing can be done with it", so it is logged and acked; the broker forgets it. */
  #dropMalformed(delivery: TrackedDelivery, reason: string, metrics: QueueMetrics): void {
    process.stderr.write(`${this.#options.instance}: dropping unparseable message ${delivery.id} from ${delivery.queue}: ${reason}\n`);
    delivery.ack();
    metrics.acked();
  }

  #reject(delivery: TrackedDelivery, reason: string, metrics: QueueMetrics): void {
    delivery.reject({ requeue: false, reason });
    metrics.rejected();
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

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
