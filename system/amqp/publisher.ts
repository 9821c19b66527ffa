import type { Channel, ChannelModel, ConfirmChannel, Message } from 'amqplib';
import type { Outcome } from '../../instrument/history-event.ts';
import type { HistoryWriter } from '../../instrument/history-writer.ts';
import type { OutgoingMessage } from '../messages.ts';
import { systemMetrics, type PublishOutcome } from '../metrics/system-metrics.ts';
import { assertTopology, type TopologyOptions } from './topology.ts';

export interface PublisherOptions {
  history: HistoryWriter;
  /** false = the `no-confirms` flaw: a plain channel, and "sent" is reported as `ok`. */
  confirms: boolean;
  /** false = the `transient` flaw. */
  persistent: boolean;
  confirmTimeoutMs: number;
}

export interface PublishResult {
  outcome: Outcome;
  error?: string;
}

/**
 * Publishes with publisher confirms and reports what is actually known about each message:
 * `ok` once the broker confirmed it (persisted, routed), `fail` when it certainly did not take it
 * (no channel, nacked, returned as unroutable), `info` when nobody can know (the channel died or
 * the confirm did not come in time). Every attempt and result goes to the history.
 */
export class Publisher {
  readonly #options: PublisherOptions;
  #channel: Channel | ConfirmChannel | null = null;
  #channelClosed = true;
  /** Message ids the broker returned as unroutable (mandatory): their later ack means "dropped". */
  readonly #returned = new Set<string>();
  readonly #count: Readonly<Record<PublishOutcome, () => void>>;

  constructor(options: PublisherOptions) {
    this.#options = options;
    this.#count = systemMetrics().publishCounters();
  }

  get connected(): boolean {
    return this.#channel !== null && !this.#channelClosed;
  }

  /** Opens the publishing channel on a fresh connection; called from the connection's setup. */
  async attach(model: ChannelModel, topology: TopologyOptions): Promise<void> {
    const channel = this.#options.confirms ? await model.createConfirmChannel() : await model.createChannel();
    await assertTopology(channel, topology);
    channel.on('return', (msg: Message) => {
      const id = msg.properties.messageId;
      if (typeof id === 'string') this.#returned.add(id);
    });
    channel.on('close', () => {
      if (this.#channel === channel) this.#channelClosed = true;
    });
    channel.on('error', () => {});
    this.#channel = channel;
    this.#channelClosed = false;
  }

  detach(): void {
    this.#channel = null;
    this.#channelClosed = true;
  }

  async publish(message: OutgoingMessage): Promise<PublishResult> {
    const { history } = this.#options;
    history.append({ kind: 'publish-attempt', id: message.messageId, orderId: message.orderId, exchange: message.exchange, routingKey: message.routingKey });
    const result = await this.#send(message);
    history.append({ kind: 'publish-result', id: message.messageId, orderId: message.orderId, outcome: result.outcome, ...(result.error ? { error: result.error } : {}) });
    return result;
  }

  async #send(message: OutgoingMessage): Promise<PublishResult> {
    const channel = this.#channel;
    if (!channel || this.#channelClosed) {
      this.#count.failed();
      return { outcome: 'fail', error: 'not connected' };
    }
    const content = message.content ?? Buffer.from(JSON.stringify(message.body));
    const properties = {
      persistent: this.#options.persistent,
      messageId: message.messageId,
      contentType: 'application/json',
      mandatory: true,
      timestamp: Math.floor(Date.now() / 1000),
      headers: { ...message.headers, 'x-order-id': message.orderId },
      ...(message.expirationMs !== undefined ? { expiration: String(Math.max(0, Math.round(message.expirationMs))) } : {}),
    };
    if (!this.#options.confirms) {
      try {
        channel.publish(message.exchange, message.routingKey, content, properties);
        this.#count.unconfirmed();
        return { outcome: 'ok' };
      } catch (err) {
        this.#count.failed();
        return { outcome: 'fail', error: (err as Error).message };
      }
    }
    return new Promise<PublishResult>((resolve) => {
      let settled = false;
      const settle = (result: PublishResult, counted: PublishOutcome) => {
        if (settled) return;
        settled = true;
        this.#count[counted]();
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => settle({ outcome: 'info', error: `no confirm within ${this.#options.confirmTimeoutMs} ms` }, 'in_doubt'), this.#options.confirmTimeoutMs);
      try {
        (channel as ConfirmChannel).publish(message.exchange, message.routingKey, content, properties, (err) => {
          if (!err) {
            const returned = this.#returned.delete(message.messageId);
            settle(returned ? { outcome: 'fail', error: 'returned unroutable' } : { outcome: 'ok' }, returned ? 'returned' : 'confirmed');
            return;
          }
          // amqplib calls back before our own 'close' listener has run; look again once the
          // close has been fully dispatched to tell "channel died" (unknown) from "nacked" (failed).
          setImmediate(() => {
            const died = this.#channelClosed || this.#channel !== channel;
            settle(died ? { outcome: 'info', error: 'channel closed before confirm' } : { outcome: 'fail', error: 'nacked by broker' }, died ? 'in_doubt' : 'nacked');
          });
        });
      } catch (err) {
        settle({ outcome: 'fail', error: (err as Error).message }, 'failed');
      }
    });
  }
}
