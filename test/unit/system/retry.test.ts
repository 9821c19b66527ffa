import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { ATTEMPT_HEADER, attemptOf, deathsOf, mayRetry, retryCopy, retryDelayMs } from '../../../system/amqp/retry.ts';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS } from '../../../system/amqp/topology.ts';
import { WorkSlots } from '../../../system/amqp/work-slots.ts';

function message(headers: Record<string, unknown> = {}): ConsumeMessage {
  return {
    content: Buffer.from('{"a":1}'),
    fields: {} as ConsumeMessage['fields'],
    properties: { headers } as ConsumeMessage['properties'],
  };
}

describe('broker-side retries', () => {
  it('counts attempts from the header the broker carries: 1 without it', () => {
    expect(attemptOf(message())).toBe(1);
    expect(attemptOf(message({ [ATTEMPT_HEADER]: 3 }))).toBe(3);
    expect(attemptOf(message({ [ATTEMPT_HEADER]: 'x' }))).toBe(1);
  });

  it('retries until MAX_ATTEMPTS, each time with the next, longer delay', () => {
    expect(Array.from({ length: MAX_ATTEMPTS }, (_, k) => mayRetry(k + 1))).toEqual([...RETRY_DELAYS_MS.map(() => true), false]);
    expect(RETRY_DELAYS_MS.map((_, k) => retryDelayMs(k + 1))).toEqual(RETRY_DELAYS_MS);
  });

  it('sends the copy to the delay queue of its attempt: same id, bytes and headers (x-death included), next attempt', () => {
    const xDeath = [{ queue: 'payment.process.retry.1', reason: 'expired', count: 1 }];
    const copy = retryCopy(
      'payment.process',
      message({ 'x-death': xDeath, 'x-order-id': 'o1', [ATTEMPT_HEADER]: 2 }),
      2,
      'o1',
      'payment.process:o1',
    );
    expect(copy).toMatchObject({
      exchange: '',
      routingKey: 'payment.process.retry.2',
      messageId: 'payment.process:o1',
      orderId: 'o1',
      headers: { 'x-death': xDeath, [ATTEMPT_HEADER]: 3 },
    });
    expect(copy.content?.toString()).toBe('{"a":1}');
  });

  it('reads x-death entries defensively', () => {
    expect(deathsOf(undefined)).toEqual([]);
    expect(deathsOf([{ queue: 'q', reason: 'rejected', count: 2 }, null, { queue: 'r' }])).toEqual([
      { queue: 'q', reason: 'rejected', count: 2 },
      { queue: 'r', reason: 'unknown', count: 1 },
    ]);
  });
});

describe('work slots', () => {
  it('runs at most `size` jobs at once, the others in arrival order', async () => {
    const slots = new WorkSlots(2);
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const jobs = [0, 1, 2, 3].map((k) =>
      slots.run(
        () =>
          new Promise<number>((resolve) => {
            started.push(k);
            releases.push(() => resolve(k));
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1]);
    expect(slots.waiting).toBe(2);
    releases[0]!();
    await jobs[0];
    await new Promise((r) => setTimeout(r, 0));
    expect(started).toEqual([0, 1, 2]);
    releases[1]!();
    releases[2]!();
    await new Promise((r) => setTimeout(r, 0));
    releases[3]!();
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3]);
    expect(slots.waiting).toBe(0);
  });

  it('frees the slot when a job fails', async () => {
    const slots = new WorkSlots(1);
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slots.run(async () => 'next')).toBe('next');
  });
});
