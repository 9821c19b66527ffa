import amqp from 'amqplib';
import type { HistoryWriter } from '../../instrument/history-writer.ts';

/** A bound on the read: a run that left more than this in its queues is broken beyond counting. */
const MAX_MESSAGES = 200_000;
const TIME_BUDGET_MS = 60_000;

export interface FinalReadSummary {
  /** Every queue that was read to the end. */
  queues: { name: string; messages: number }[];
  messages: number;
  /** Every listed queue was read to its end; when false, a missing message may still be in the broker. */
  complete: boolean;
  error?: string;
}

/**
 * Jepsen's final drain: with the system's consumers stopped, reads every message still held in
 * every queue and writes its id to the harness history as a `final-read` event. A message the
 * ledger misses is then stuck only if its own id was read here; otherwise it is lost.
 *
 * The read does not consume: messages are taken with manual ack and never acked, and closing the
 * channel hands them back to their queues, so `--keep` leaves the broker as the run left it.
 * Messages of a dead-letter queue carry `x-death`: the queue they died in is recorded as `diedIn`.
 */
export async function finalRead(amqpUrl: string, queueNames: readonly string[], history: HistoryWriter): Promise<FinalReadSummary> {
  const summary: FinalReadSummary = { queues: [], messages: 0, complete: true };
  const started = performance.now();
  let connection: amqp.ChannelModel | undefined;
  try {
    connection = await amqp.connect(amqpUrl, { clientProperties: { connection_name: 'harness final-read' } });
    connection.on('error', () => {});
    for (const queue of queueNames) {
      const channel = await connection.createChannel();
      channel.on('error', () => {});
      let read = 0;
      try {
        for (;;) {
          if (summary.messages >= MAX_MESSAGES || performance.now() - started > TIME_BUDGET_MS) {
            summary.complete = false;
            summary.error =
              `stopped after ${summary.messages} messages / ${Math.round(performance.now() - started)} ms ` +
              `(bounds ${MAX_MESSAGES} / ${TIME_BUDGET_MS} ms)`;
            break;
          }
          const msg = await channel.get(queue, { noAck: false });
          if (msg === false) break;
          read++;
          summary.messages++;
          const headers = msg.properties.headers ?? {};
          const orderId = typeof headers['x-order-id'] === 'string' ? headers['x-order-id'] : undefined;
          const diedIn = latestDeathQueue(headers['x-death']);
          history.append({
            kind: 'final-read',
            id: typeof msg.properties.messageId === 'string' ? msg.properties.messageId : 'no-id',
            ...(orderId ? { orderId } : {}),
            queue,
            redelivered: msg.fields.redelivered,
            ...(diedIn ? { diedIn } : {}),
          });
        }
      } catch (err) {
        // A queue that does not exist (never declared in this run) holds nothing; anything else leaves the read incomplete.
        if (!/NOT_FOUND/.test((err as Error).message)) {
          summary.complete = false;
          summary.error = `${queue}: ${(err as Error).message}`;
        }
      } finally {
        summary.queues.push({ name: queue, messages: read });
        await channel.close().catch(() => {});
      }
      if (!summary.complete) break;
    }
  } catch (err) {
    summary.complete = false;
    summary.error = (err as Error).message;
  } finally {
    await connection?.close().catch(() => {});
  }
  return summary;
}

/** The queue of the latest death in an `x-death` header (RabbitMQ keeps the most recent first). */
function latestDeathQueue(xDeath: unknown): string | undefined {
  if (!Array.isArray(xDeath) || xDeath.length === 0) return undefined;
  const queue = (xDeath[0] as { queue?: unknown }).queue;
  return typeof queue === 'string' ? queue : undefined;
}
