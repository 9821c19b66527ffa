import { describe, expect, it } from 'vitest';
import { retryPolicy, retryRandom } from '../../../load/client-retry.ts';
import type { AttemptResult } from '../../../load/order-attempt.ts';
import { orderBody } from '../../../load/order-body.ts';
import { InvalidRetryOptionsError, OrderRetries, RetrySendError, type RetryOrder, type SendAttempt } from '../../../load/order-retries.ts';

const OK: AttemptResult = { outcome: 'ok', answer: { kind: 'response', status: 202 }, status: 202, latencyMs: 1 };
const IN_DOUBT: AttemptResult = { outcome: 'info', answer: { kind: 'response', status: 503 }, status: 503, latencyMs: 1 };
const INVALID: AttemptResult = { outcome: 'fail', answer: { kind: 'response', status: 400 }, status: 400, latencyMs: 1 };
const TIMEOUT: AttemptResult = { outcome: 'info', answer: { kind: 'no-response' }, error: 'timeout', latencyMs: 1 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function order(index: number, firstStartMs = performance.now()): RetryOrder {
  const body = orderBody(1, index);
  return { index, orderId: body.id!, body, intent: 'normal', firstStartMs };
}

/** A `send` answering attempt n of each order from `answers(n)`, after `delayMs`, logging what it was asked. */
function scriptedSend(answers: (attempt: number, orderId: string) => AttemptResult, delayMs = 0) {
  const calls: Array<{ orderId: string; attempt: number; atMs: number }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const send: SendAttempt = async (o, attempt) => {
    calls.push({ orderId: o.orderId, attempt, atMs: performance.now() });
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await sleep(delayMs);
    inFlight--;
    return answers(attempt, o.orderId);
  };
  return { send, calls, maxInFlight: () => maxInFlight };
}

const fast = (maxRetries: number, deadlineMs = 5_000) => retryPolicy(maxRetries, { baseDelayMs: 5, maxDelayMs: 100, deadlineMs });
const random = (i: number) => retryRandom(1, i);

describe('OrderRetries', () => {
  it('retries an in-doubt order until it is accepted, counting attempts from 2', async () => {
    const script = scriptedSend((n) => (n < 4 ? IN_DOUBT : OK));
    const retries = new OrderRetries({ policy: fast(5), concurrency: 4, send: script.send, random });
    retries.afterFirstAttempt(order(0), IN_DOUBT);
    await retries.settled();
    expect(script.calls.map((c) => c.attempt)).toEqual([2, 3, 4]);
    expect(retries.summary()).toMatchObject({ clientRetries: 5, needed: 1, attempts: 3, recovered: 1, gaveUp: 0, abandoned: 0 });
  });

  it('does nothing for an accepted order or one refused as invalid', async () => {
    const script = scriptedSend(() => OK);
    const retries = new OrderRetries({ policy: fast(5), concurrency: 4, send: script.send, random });
    retries.afterFirstAttempt(order(0), OK);
    retries.afterFirstAttempt(order(1), INVALID);
    await retries.settled();
    expect(script.calls).toEqual([]);
    expect(retries.summary()).toMatchObject({ needed: 0, attempts: 0 });
  });

  it('gives up after the last retry, and on a 4xx answer to a retry', async () => {
    const script = scriptedSend((n, id) => (id === 'order-1-1' && n === 2 ? INVALID : TIMEOUT));
    const retries = new OrderRetries({ policy: fast(3), concurrency: 4, send: script.send, random });
    retries.afterFirstAttempt(order(0), TIMEOUT);
    retries.afterFirstAttempt(order(1), IN_DOUBT);
    await retries.settled();
    expect(script.calls.filter((c) => c.orderId === 'order-1-0').map((c) => c.attempt)).toEqual([2, 3, 4]);
    expect(script.calls.filter((c) => c.orderId === 'order-1-1').map((c) => c.attempt)).toEqual([2]);
    expect(retries.summary()).toMatchObject({
      needed: 2,
      attempts: 4,
      recovered: 0,
      gaveUp: 2,
      gaveUpBy: { 'retries-exhausted': 1, deadline: 0, refused: 1 },
    });
  });

  it('with 0 retries counts what needed a retry and sends nothing', async () => {
    const script = scriptedSend(() => OK);
    const retries = new OrderRetries({ policy: fast(0), concurrency: 4, send: script.send, random });
    for (let i = 0; i < 3; i++) retries.afterFirstAttempt(order(i), IN_DOUBT);
    await retries.settled();
    expect(script.calls).toEqual([]);
    expect(retries.summary()).toMatchObject({ needed: 3, attempts: 0, gaveUp: 3, gaveUpBy: { 'retries-exhausted': 3 } });
  });

  it('keeps at most `concurrency` retries in flight; the rest wait for a slot', async () => {
    const script = scriptedSend(() => OK, 30);
    const retries = new OrderRetries({ policy: fast(5), concurrency: 2, send: script.send, random });
    for (let i = 0; i < 10; i++) retries.afterFirstAttempt(order(i), IN_DOUBT);
    expect(retries.pending()).toBe(10);
    await retries.settled();
    expect(script.maxInFlight()).toBe(2);
    expect(retries.summary()).toMatchObject({ needed: 10, recovered: 10, maxInFlight: 2 });
  });

  it('gives up an order whose deadline passed while it waited for a slot', async () => {
    // One slot, each attempt holds it 100 ms; deadline 150 ms: the later orders never get their turn.
    const script = scriptedSend(() => OK, 100);
    const retries = new OrderRetries({ policy: fast(5, 150), concurrency: 1, send: script.send, random });
    for (let i = 0; i < 5; i++) retries.afterFirstAttempt(order(i), IN_DOUBT);
    await retries.settled();
    const s = retries.summary();
    expect(s.recovered).toBeLessThanOrEqual(2);
    expect(s.gaveUpBy.deadline).toBe(5 - s.recovered);
    for (const call of script.calls) expect(call.atMs - script.calls[0]!.atMs).toBeLessThan(150);
  });

  it('dropRefused() stops retrying orders certainly not taken, and keeps retrying the in-doubt ones', async () => {
    const REFUSED: AttemptResult = { outcome: 'fail', answer: { kind: 'response', status: 503 }, status: 503, latencyMs: 1 };
    const script = scriptedSend((n, id) => (id === order(1).orderId ? (n < 3 ? IN_DOUBT : OK) : REFUSED), 5);
    const retries = new OrderRetries({
      policy: retryPolicy(5, { baseDelayMs: 50, maxDelayMs: 50, deadlineMs: 5_000 }),
      concurrency: 4,
      send: script.send,
      random,
    });
    retries.afterFirstAttempt(order(1), IN_DOUBT);
    retries.afterFirstAttempt(order(2), REFUSED);
    retries.dropRefused();
    await retries.settled();
    expect(script.calls.filter((c) => c.orderId === order(2).orderId)).toHaveLength(0);
    expect(retries.summary()).toMatchObject({ needed: 2, recovered: 1, abandoned: 1 });
  });

  it('within a budget of retries per second, retries in-doubt orders before certainly refused ones', async () => {
    const REFUSED: AttemptResult = { outcome: 'fail', answer: { kind: 'response', status: 503 }, status: 503, latencyMs: 1 };
    const script = scriptedSend(() => OK);
    const retries = new OrderRetries({
      policy: retryPolicy(5, { baseDelayMs: 1, maxDelayMs: 1, deadlineMs: 10_000 }),
      concurrency: 50,
      ratePerSecond: 10,
      send: script.send,
      random,
    });
    for (let i = 0; i < 20; i++) retries.afterFirstAttempt(order(i), i % 4 === 0 ? IN_DOUBT : REFUSED);
    await retries.settled();
    const span = script.calls[script.calls.length - 1]!.atMs - script.calls[0]!.atMs;
    expect(span).toBeGreaterThan(800); // 20 retries at 10/s with a burst of 10: about 1 s
    // The first second's burst (10) goes in the order the retries came due; after it, the in-doubt ones that waited (12, 16) go first.
    const doubtful = new Set([12, 16].map((i) => order(i).orderId));
    expect(
      script.calls
        .slice(10, 12)
        .map((c) => c.orderId)
        .every((id) => doubtful.has(id)),
    ).toBe(true);
  });

  it('abandon() starts no further attempt and settles at once', async () => {
    const script = scriptedSend(() => IN_DOUBT);
    const retries = new OrderRetries({ policy: retryPolicy(5, { baseDelayMs: 200 }), concurrency: 4, send: script.send, random });
    for (let i = 0; i < 3; i++) retries.afterFirstAttempt(order(i), IN_DOUBT);
    const started = performance.now();
    retries.abandon();
    await retries.settled();
    expect(performance.now() - started).toBeLessThan(100);
    retries.afterFirstAttempt(order(3), IN_DOUBT); // a first attempt that ended after the abort
    await sleep(300);
    expect(script.calls).toEqual([]);
    expect(retries.summary()).toMatchObject({ needed: 4, attempts: 0, abandoned: 4, gaveUp: 0 });
  });

  it('settled() rejects with a named error when a send rejects', async () => {
    const retries = new OrderRetries({ policy: fast(5), concurrency: 4, send: () => Promise.reject(new Error('disk full')), random });
    retries.afterFirstAttempt(order(0), IN_DOUBT);
    await expect(retries.settled()).rejects.toThrow(RetrySendError);
  });

  it('refuses a concurrency below 1', () => {
    expect(() => new OrderRetries({ policy: fast(5), concurrency: 0, send: scriptedSend(() => OK).send, random })).toThrow(
      InvalidRetryOptionsError,
    );
  });
});
