import type { ConsumeMessage } from 'amqplib';
import type { OutgoingMessage } from '../messages.ts';
import { DEFAULT_EXCHANGE, MAX_ATTEMPTS, RETRY_DELAYS_MS, retryQueue, type QueueName } from './topology.ts';

/**
 * Which attempt a delivery is (1 = first). Set on each retry copy and carried by the broker
 * through the delay queue, so a restarted worker knows it as well as the one that failed: never
 * counted in process memory. A redelivery (channel died) is the same attempt again.
 */
export const ATTEMPT_HEADER = 'x-attempt';

export function attemptOf(msg: ConsumeMessage): number {
  const value = msg.properties.headers?.[ATTEMPT_HEADER];
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : 1;
}

/** Attempts left after `attempt` failed: retry with backoff, or give up (dead-letter). */
export function mayRetry(attempt: number): boolean {
  return attempt < MAX_ATTEMPTS;
}

/** Backoff before the attempt after `attempt`. */
export function retryDelayMs(attempt: number): number {
  return RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length) - 1]!;
}

/**
 * The copy of a failed delivery that waits out its backoff in the delay queue of its attempt:
 * same id, same bytes, same headers (x-death included, so the broker keeps counting its deaths
 * across copies and the dead letter shows every delay it went through), next attempt number.
 */
export function retryCopy(queue: QueueName, msg: ConsumeMessage, attempt: number, orderId: string, messageId: string): OutgoingMessage {
  return {
    exchange: DEFAULT_EXCHANGE,
    routingKey: retryQueue(queue, attempt),
    messageId,
    orderId,
    body: undefined,
    content: msg.content,
    headers: { ...msg.properties.headers, [ATTEMPT_HEADER]: attempt + 1 },
  };
}

/** `x-death` holds one entry per (queue, reason), most recent first, each with how many times the message died that way. */
export interface DeathRecord {
  queue: string;
  reason: string;
  count: number;
}

export function deathsOf(xDeath: unknown): DeathRecord[] {
  if (!Array.isArray(xDeath)) return [];
  return xDeath
    .filter((d): d is Record<string, unknown> => typeof d === 'object' && d !== null)
    .map((d) => ({
      queue: String(d.queue ?? 'unknown'),
      reason: String(d.reason ?? 'unknown'),
      count: typeof d.count === 'number' ? d.count : 1,
    }));
}
