import type { Channel, Options, Replies } from 'amqplib';
import type { HistoryRecorder } from './recorder.ts';
import { TrackedDelivery, type TrackDeliveryOptions } from './tracked-delivery.ts';

export type DeliveryHandler = (delivery: TrackedDelivery) => Promise<void> | void;

export type InstrumentedConsumeOptions = Options.Consume & TrackDeliveryOptions;

/**
 * amqplib's `channel.consume` with every delivery recorded. The handler settles the delivery
 * itself (`ack`, `nack`, `reject`) and records its effect; a handler that throws leaves the
 * delivery unsettled, as amqplib would, and the history says so (`handler-error`). A consumer the
 * broker cancelled (its queue was deleted) is recorded too: its messages stop arriving.
 */
export function consumeWithHistory(
  channel: Channel,
  queue: string,
  history: HistoryRecorder,
  handler: DeliveryHandler,
  options: InstrumentedConsumeOptions = {},
): Promise<Replies.Consume> {
  const { consumer, ...consumeOptions } = options;
  return channel.consume(
    queue,
    (msg) => {
      if (msg === null) {
        history.append({ kind: 'lifecycle', event: 'consumer-cancelled', detail: queue });
        return;
      }
      const delivery = TrackedDelivery.receive(history, channel, queue, msg, {
        ...(consumer !== undefined ? { consumer } : {}),
        autoAck: consumeOptions.noAck === true,
      });
      void Promise.resolve()
        .then(() => handler(delivery))
        .catch((err: unknown) => {
          history.append({
            kind: 'lifecycle',
            event: 'handler-error',
            detail: `${queue} ${delivery.id}: ${err instanceof Error ? err.message : String(err)}`,
          });
        });
    },
    consumeOptions,
  );
}
