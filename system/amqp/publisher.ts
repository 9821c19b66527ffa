import type { ChannelModel } from 'amqplib';
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
    channel.on('error', () => {});
    this.#publisher.use(channel);
  }

  detach(): void {
    this.#publisher.release();
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
    const report = await this.#publisher.publish(message.exchange, message.routingKey, content, properties, { orderId: message.orderId });
    this.#count[COUNTED_AS[report.cause]]();
    return { outcome: report.outcome, ...(report.error ? { error: report.error } : {}) };
  }
}
