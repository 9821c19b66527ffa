import type { Channel, ConsumeMessage } from 'amqplib';
import type { HistoryWriter } from '../../instrument/history-writer.ts';
import type { QueueMetrics } from '../metrics/system-metrics.ts';
import type { Publisher } from './publisher.ts';
import { mayRetry, retryDelayMs } from './retry.ts';
import { DEFAULT_EXCHANGE, type QueueName } from './topology.ts';

type Where = { id: string; queue: QueueName; consumer: string; deliveryTag: number; channel: number };

/**
 * The `timer-retry` flaw, after the article's payments service: attempts are counted in a map in
 * process memory, the failed delivery is acked at once (the handler "returned"), and a setTimeout
 * republishes the message after the backoff. Until the timer fires the message exists nowhere but
 * in this process: a crash during the delay loses it. Out of attempts, it is nacked into the DLX.
 */
export class TimerRetries {
  readonly #publisher: Publisher;
  readonly #attempts = new Map<string, number>();

  constructor(publisher: Publisher) {
    this.#publisher = publisher;
  }

  fail(channel: Channel, msg: ConsumeMessage, where: Where, orderId: string | undefined, err: Error, metrics: QueueMetrics, history: HistoryWriter): void {
    const attempt = this.#attempts.get(where.id) ?? 1;
    if (!mayRetry(attempt)) {
      this.#attempts.delete(where.id);
      channel.nack(msg, false, false);
      metrics.rejected();
      history.append({ kind: 'nack', ...where, requeue: false, reason: `gave up after ${attempt} attempts: ${err.message}` });
      return;
    }
    this.#attempts.set(where.id, attempt + 1);
    channel.ack(msg);
    metrics.acked();
    history.append({ kind: 'ack', ...where });
    setTimeout(() => {
      void this.#publisher.publish({ exchange: DEFAULT_EXCHANGE, routingKey: where.queue, messageId: where.id, orderId: orderId ?? '', body: undefined, content: msg.content, headers: msg.properties.headers ?? {} });
    }, retryDelayMs(attempt));
  }
}
