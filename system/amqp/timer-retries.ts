import type { TrackedDelivery } from '../../instrument/index.ts';
import type { QueueMetrics } from '../metrics/system-metrics.ts';
import type { Publisher } from './publisher.ts';
import { mayRetry, retryDelayMs } from './retry.ts';
import { DEFAULT_EXCHANGE, type QueueName } from './topology.ts';

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

  fail(queue: QueueName, delivery: TrackedDelivery, err: Error, metrics: QueueMetrics): void {
    const attempt = this.#attempts.get(delivery.id) ?? 1;
    if (!mayRetry(attempt)) {
      this.#attempts.delete(delivery.id);
      delivery.nack({ requeue: false, reason: `gave up after ${attempt} attempts: ${err.message}` });
      metrics.rejected();
      return;
    }
    this.#attempts.set(delivery.id, attempt + 1);
    delivery.ack();
    metrics.acked();
    const { message } = delivery;
    setTimeout(() => {
      void this.#publisher.publish({
        exchange: DEFAULT_EXCHANGE,
        routingKey: queue,
        messageId: delivery.id,
        orderId: delivery.orderId ?? '',
        body: undefined,
        content: message.content,
        headers: message.properties.headers ?? {},
      });
    }, retryDelayMs(attempt));
  }
}
