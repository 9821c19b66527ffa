import type { Channel, ChannelModel } from 'amqplib';
import { InstrumentedPublisher, type HistoryRecorder, type Outcome, type PublishCause } from '../../instrument/index.ts';
import type { OutgoingMessage } from '../messages.ts';
import { systemMetrics, type PublishOutcome } from '../metrics/system-metrics.ts';
import { assertTopology, type TopologyOptions } from './topology.ts';

export interface PublisherOptions {
  history: HistoryRecorder;
  /** false = the `no-confirms` flaw: a plain channel, and "sent" is reported as `ok`. */
  confirms: boolean;
  /** false = the `transient` flaw. */
  persistent: boolean;
  confirmTimeoutMs: number;
  /** On a cluster: a nack retires the publishing channel for a fresh one (see `#renew`). */
  renewChannelOnNack?: boolean;
}

export interface PublishResult {
  outcome: Outcome;
  error?: string;
}

/** The publish counter each cause of an outcome feeds. */
const COUNTED_AS: Readonly<Record<PublishCause, PublishOutcome>> = {
  confirmed: 'confirmed',
  unconfirmed: 'unconfirmed',
  returned: 'returned',
  nacked: 'nacked',
  'not-sent': 'failed',
  'channel-closed': 'in_doubt',
  timeout: 'in_doubt',
};

/**
 * The system's publishing side on top of the instrumentation library (which classifies each
 * outcome and writes the history): it opens the channel on every fresh connection, builds the
 * system's message properties (mandatory, persistent unless the `transient` flaw, the order id
 * header) and counts every outcome in the metrics.
 */
export class Publisher {
  readonly #options: PublisherOptions;
  readonly #publisher: InstrumentedPublisher;
  readonly #count: Readonly<Record<PublishOutcome, () => void>>;
  /** The connection and channel publishes go to, and how many channels it has had (a nack renews at most the one it came on). */
  #model: ChannelModel | null = null;
  #channel: Channel | null = null;
  #generation = 0;
  #renewing = false;

  constructor(options: PublisherOptions) {
    this.#options = options;
    this.#publisher = new InstrumentedPublisher(options.history, { confirmTimeoutMs: options.confirmTimeoutMs });
    this.#count = systemMetrics().publishCounters();
  }

  get connected(): boolean {
    return this.#publisher.connected;
  }

  /** Opens the publishing channel on a fresh connection; called from the connection's setup. */
  async attach(model: ChannelModel, topology: TopologyOptions): Promise<void> {
    const channel = this.#options.confirms ? await model.createConfirmChannel() : await model.createChannel();
    await assertTopology(channel, topology);
    this.#use(model, channel);
  }

  detach(): void {
    this.#model = null;
    this.#channel = null;
    this.#generation++;
    this.#publisher.release();
  }

  #use(model: ChannelModel, channel: Channel): void {
    channel.on('error', () => {});
    this.#model = model;
    this.#channel = channel;
    this.#generation++;
    this.#publisher.use(channel);
  }

  /**
   * Publishes go to a fresh confirm channel on the same connection from now on. Why: on RabbitMQ
   * 3.10 a channel whose first publish to a quorum queue comes while that queue has no leader (its
   * leader's node just died, the election takes a few hundred ms) is nacked, and that channel goes
   * on being nacked for the queue long after a new leader is elected (seen for 15 s and more, every
   * time), while a fresh channel is confirmed at once (test/integration/system-cluster). A client
   * that fails over lands in exactly that window. The old channel stays open for a confirm timeout,
   * so what it still has in flight gets its answer (a late nack there counts as in doubt: its
   * channel is no longer the publisher's).
   */
  #renew(generation: number): void {
    const model = this.#model;
    const retired = this.#channel;
    if (!model || !retired || generation !== this.#generation || this.#renewing) return;
    this.#renewing = true;
    model
      .createConfirmChannel()
      .then(
        (channel) => {
          if (this.#model !== model || generation !== this.#generation) return void channel.close().catch(() => {});
          this.#use(model, channel);
          setTimeout(() => void retired.close().catch(() => {}), this.#options.confirmTimeoutMs).unref();
        },
        // The connection is going: its recovery brings a new channel anyway.
        () => {},
      )
      .finally(() => (this.#renewing = false));
  }

  async publish(message: OutgoingMessage): Promise<PublishResult> {
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
    const generation = this.#generation;
    const report = await this.#publisher.publish(message.exchange, message.routingKey, content, properties, { orderId: message.orderId });
    this.#count[COUNTED_AS[report.cause]]();
    if (report.cause === 'nacked' && this.#options.renewChannelOnNack) this.#renew(generation);
    return { outcome: report.outcome, ...(report.error ? { error: report.error } : {}) };
  }
}
