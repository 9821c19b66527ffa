/**
 * The instrumentation library: what a Node service imports so the harness can account for every
 * message it publishes and consumes, stage by stage. It imports nothing of the harness or of the
 * reference system (only node builtins and amqplib's types), so any service can depend on it.
 *
 *   const history = openHistory('payments-1');             // HISTORY_FILE, or a no-op without it
 *   const publisher = instrumentPublisher(await conn.createConfirmChannel(), history);
 *   await publisher.publish('', 'payments', body, { messageId: id, persistent: true });
 *   await consumeWithHistory(channel, 'payments', history, async (delivery) => {
 *     await charge(delivery.message.content);
 *     delivery.effect('payment-charged');
 *     delivery.ack();
 *   });
 */
export type {
  DeliverEvent,
  HandledEvent,
  HistoryEvent,
  HistoryEventKind,
  HistoryRecord,
  Intent,
  Outcome,
  PublishAttemptEvent,
  PublishResultEvent,
  SettleEvent,
} from './history-event.ts';
export { INTENTS } from './history-event.ts';
export { HistoryWriter, now } from './history-writer.ts';
export { HISTORY_FILE_ENV, NoHistory, openHistory, type HistoryRecorder } from './recorder.ts';
export {
  DEFAULT_CONFIRM_TIMEOUT_MS,
  InstrumentedPublisher,
  instrumentPublisher,
  MissingMessageIdError,
  ORDER_ID_HEADER,
  type InstrumentedPublisherOptions,
  type InstrumentedPublishOptions,
  type PublishCause,
  type PublishMeta,
  type PublishReport,
} from './instrumented-publisher.ts';
export {
  TrackedDelivery,
  type EffectOptions,
  type RetryOptions,
  type SettleOptions,
  type TrackDeliveryOptions,
} from './tracked-delivery.ts';
export { consumeWithHistory, type DeliveryHandler, type InstrumentedConsumeOptions } from './consume.ts';
