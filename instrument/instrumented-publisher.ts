import type { Channel, ConfirmChannel, Message, Options } from 'amqplib';
import type { Intent, Outcome } from './history-event.ts';
import type { HistoryRecorder } from './recorder.ts';

/** How long a publish waits for its confirm before its outcome is unknown (`info`). */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 5_000;

/** The header the reference services carry an order id in; read when a publish does not name one. */
export const ORDER_ID_HEADER = 'x-order-id';

/** What decided a publish's outcome: a service may count these (metrics), the history keeps the outcome. */
export type PublishCause =
  /** `ok`: the broker confirmed it. */
  | 'confirmed'
  /** `ok` as far as the service can tell: written to a channel without confirms. */
  | 'unconfirmed'
  /** `fail`: confirmed, but the broker returned it as unroutable (needs `mandatory`). */
  | 'returned'
  /** `fail`: the broker nacked it. */
  | 'nacked'
  /** `fail`: no open channel, or amqplib refused the write. */
  | 'not-sent'
  /** `info`: the channel closed before the confirm came. */
  | 'channel-closed'
  /** `info`: no confirm within the timeout. */
  | 'timeout';

export interface PublishReport {
  outcome: Outcome;
  cause: PublishCause;
  error?: string;
}

/** amqplib's publish options, with the message id the history accounts the message by. */
export type InstrumentedPublishOptions = Options.Publish & { messageId: string };

/** What only the history needs to know about a publish. */
export interface PublishMeta {
  /** Groups the messages of one business operation; sent in the `x-order-id` header. Default: that header, else the message id. */
  orderId?: string;
  /** What the workload meant the message to do, for messages published straight to the broker. */
  intent?: Intent;
}

export interface InstrumentedPublisherOptions {
  confirmTimeoutMs?: number;
}

/** A publish without a message id cannot be accounted for: the checkers match publishes to deliveries by id. */
export class MissingMessageIdError extends Error {
  constructor(exchange: string, routingKey: string) {
    super(
      `publish to exchange "${exchange}" with routing key "${routingKey}": ` +
        'expected options.messageId (a non-empty string); the history accounts for messages by id',
    );
    this.name = 'MissingMessageIdError';
  }
}

/**
 * Publishes on an amqplib channel and writes what is actually known about each message to the
 * history: a `publish-attempt` before the write, a `publish-result` after it. On a ConfirmChannel
 * the outcome is `ok` once the broker confirmed it, `fail` when it certainly did not take it
 * (no channel, nacked, returned as unroutable), `info` when nobody can know (the channel died or
 * the confirm did not come in time). On a plain Channel the outcome is what the service believes,
 * `ok` once written: the checkers then show what that belief costs.
 *
 * The channel can be swapped (`use`) when the service reconnects; publishes in between fail.
 */
export class InstrumentedPublisher {
  readonly #history: HistoryRecorder;
  readonly #confirmTimeoutMs: number;
  #channel: Channel | ConfirmChannel | null = null;
  #channelClosed = true;
  /** Message ids the broker returned as unroutable: their later confirm means "dropped". */
  readonly #returned = new Set<string>();

  constructor(history: HistoryRecorder, options: InstrumentedPublisherOptions = {}) {
    this.#history = history;
    this.#confirmTimeoutMs = options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
  }

  get connected(): boolean {
    return this.#channel !== null && !this.#channelClosed;
  }

  /** Publishes on `channel` from now on (with confirms if it is a ConfirmChannel). */
  use(channel: Channel | ConfirmChannel): void {
    channel.on('return', (msg: Message) => {
      const id = msg.properties.messageId;
      if (typeof id === 'string') this.#returned.add(id);
    });
    channel.on('close', () => {
      if (this.#channel === channel) this.#channelClosed = true;
    });
    this.#channel = channel;
    this.#channelClosed = false;
  }

  /** The channel is gone (the connection dropped): publishes fail until the next `use`. */
  release(): void {
    this.#channel = null;
    this.#channelClosed = true;
  }

  /** Like amqplib's `channel.publish`, but resolves with the outcome once it is known, and records both ends. */
  async publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: InstrumentedPublishOptions,
    meta: PublishMeta = {},
  ): Promise<PublishReport> {
    const id = options.messageId;
    if (typeof id !== 'string' || id === '') throw new MissingMessageIdError(exchange, routingKey);
    const orderId = meta.orderId ?? headerString(options.headers, ORDER_ID_HEADER) ?? id;
    // The header carries the order id to the consumers, so their events name the same order.
    const properties =
      meta.orderId === undefined ? options : { ...options, headers: { ...options.headers, [ORDER_ID_HEADER]: meta.orderId } };
    this.#history.append({ kind: 'publish-attempt', id, orderId, exchange, routingKey, ...(meta.intent ? { intent: meta.intent } : {}) });
    const report = await this.#send(exchange, routingKey, content, properties);
    this.#history.append({
      kind: 'publish-result',
      id,
      orderId,
      outcome: report.outcome,
      ...(report.error ? { error: report.error } : {}),
    });
    return report;
  }

  #send(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: InstrumentedPublishOptions,
  ): Promise<PublishReport> | PublishReport {
    const channel = this.#channel;
    if (!channel || this.#channelClosed) return { outcome: 'fail', cause: 'not-sent', error: 'not connected' };
    if (!isConfirmChannel(channel)) {
      try {
        channel.publish(exchange, routingKey, content, options);
        return { outcome: 'ok', cause: 'unconfirmed' };
      } catch (err) {
        return { outcome: 'fail', cause: 'not-sent', error: (err as Error).message };
      }
    }
    return new Promise<PublishReport>((resolve) => {
      let settled = false;
      const settle = (report: PublishReport) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(report);
      };
      const timer = setTimeout(
        () => settle({ outcome: 'info', cause: 'timeout', error: `no confirm within ${this.#confirmTimeoutMs} ms` }),
        this.#confirmTimeoutMs,
      );
      try {
        channel.publish(exchange, routingKey, content, options, (err) => {
          if (!err) {
            const returned = this.#returned.delete(options.messageId);
            settle(returned ? { outcome: 'fail', cause: 'returned', error: 'returned unroutable' } : { outcome: 'ok', cause: 'confirmed' });
            return;
          }
          // amqplib calls back before our own 'close' listener has run; look again once the
          // close has been fully dispatched to tell "channel died" (unknown) from "nacked" (failed).
          setImmediate(() => {
            const died = this.#channelClosed || this.#channel !== channel;
            settle(
              died
                ? { outcome: 'info', cause: 'channel-closed', error: 'channel closed before confirm' }
                : { outcome: 'fail', cause: 'nacked', error: 'nacked by broker' },
            );
          });
        });
      } catch (err) {
        settle({ outcome: 'fail', cause: 'not-sent', error: (err as Error).message });
      }
    });
  }
}

/** A publisher already using `channel`: the few-lines form for a service with one channel. */
export function instrumentPublisher(
  channel: Channel | ConfirmChannel,
  history: HistoryRecorder,
  options: InstrumentedPublisherOptions = {},
): InstrumentedPublisher {
  const publisher = new InstrumentedPublisher(history, options);
  publisher.use(channel);
  return publisher;
}

function isConfirmChannel(channel: Channel | ConfirmChannel): channel is ConfirmChannel {
  return typeof (channel as Partial<ConfirmChannel>).waitForConfirms === 'function';
}

function headerString(headers: Options.Publish['headers'], name: string): string | undefined {
  const value: unknown = headers?.[name];
  return typeof value === 'string' ? value : undefined;
}
