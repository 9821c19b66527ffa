import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CLIENT_RETRIES,
  InvalidRetryPolicyError,
  ORDER_RETRY_DEADLINE_MS,
  RETRY_BASE_DELAY_MS,
  backoffMs,
  isRetryable,
  nextRetry,
  parseRetryAfter,
  retryPolicy,
  retryRandom,
} from '../../../load/client-retry.ts';
import { intentOf, ORDER_MARKERS, type OrderMarker } from '../../../load/order-body.ts';

const fixed = (u: number) => () => u;

describe('retryPolicy', () => {
  it('defaults to 5 retries, 1 s base, 30 s deadline', () => {
    const p = retryPolicy();
    expect(p.maxRetries).toBe(DEFAULT_CLIENT_RETRIES);
    expect(DEFAULT_CLIENT_RETRIES).toBe(5);
    expect(p.baseDelayMs).toBe(RETRY_BASE_DELAY_MS);
    expect(RETRY_BASE_DELAY_MS).toBe(1_000);
    expect(p.deadlineMs).toBe(ORDER_RETRY_DEADLINE_MS);
    expect(retryPolicy(undefined).maxRetries).toBe(5);
    expect(retryPolicy(0).maxRetries).toBe(0);
  });

  it.each([-1, 1.5, 21, Number.NaN])('refuses %s retries naming what it expected', (n) => {
    expect(() => retryPolicy(n)).toThrow(InvalidRetryPolicyError);
    expect(() => retryPolicy(n)).toThrow(/expected an integer from 0 to 20/);
  });

  it('refuses negative timings and a jitter outside [0, 1]', () => {
    expect(() => retryPolicy(3, { baseDelayMs: -1 })).toThrow(/baseDelayMs: expected a number of ms >= 0/);
    expect(() => retryPolicy(3, { jitter: 2 })).toThrow(/jitter: expected a fraction from 0 to 1/);
  });
});

describe('backoffMs', () => {
  const policy = retryPolicy(10, { baseDelayMs: 250, maxDelayMs: 8_000, jitter: 0.5 });

  it('doubles from the base with no jitter drawn', () => {
    expect([1, 2, 3, 4, 5].map((r) => backoffMs(policy, r, fixed(0)))).toEqual([250, 500, 1000, 2000, 4000]);
  });

  it('stretches each wait by up to the jitter fraction', () => {
    expect(backoffMs(policy, 1, fixed(0.5))).toBe(312.5);
    expect(backoffMs(policy, 1, fixed(0.999999))).toBeLessThan(375);
  });

  it('grows from one retry to the next whatever the jitter draws', () => {
    const random = retryRandom(7, 3);
    const waits = [1, 2, 3, 4, 5].map((r) => backoffMs(policy, r, random));
    for (let k = 1; k < waits.length; k++) expect(waits[k]!).toBeGreaterThanOrEqual(waits[k - 1]!);
  });

  it('caps a single wait', () => {
    expect(backoffMs(policy, 10, fixed(0))).toBe(8_000);
  });
});

describe('retryRandom', () => {
  it('replays the same jitter for the same (seed, order) and differs across orders', () => {
    const draw = (seed: number, index: number) => Array.from({ length: 4 }, retryRandom(seed, index));
    expect(draw(1, 5)).toEqual(draw(1, 5));
    expect(draw(1, 5)).not.toEqual(draw(1, 6));
    expect(draw(1, 5)).not.toEqual(draw(2, 5));
  });
});

describe('isRetryable', () => {
  it.each([
    [{ kind: 'response', status: 503 } as const, true],
    [{ kind: 'response', status: 500 } as const, true],
    [{ kind: 'response', status: 502 } as const, true],
    [{ kind: 'no-response' } as const, true],
    [{ kind: 'response', status: 202 } as const, false],
    [{ kind: 'response', status: 400 } as const, false],
    [{ kind: 'response', status: 409 } as const, false],
    [{ kind: 'response', status: 404 } as const, false],
    [{ kind: 'aborted' } as const, false],
  ])('%j -> %s', (answer, expected) => {
    expect(isRetryable(answer)).toBe(expected);
  });
});

describe('nextRetry', () => {
  const policy = retryPolicy(3, { baseDelayMs: 100, jitter: 0, deadlineMs: 1_000 });

  it('retries with the backoff of the retry to come', () => {
    expect(nextRetry(policy, 1, 0, 0, fixed(0))).toEqual({ retry: true, delayMs: 100 });
    expect(nextRetry(policy, 3, 0, 300, fixed(0))).toEqual({ retry: true, delayMs: 400 });
  });

  it('gives up once the retries are spent', () => {
    expect(nextRetry(policy, 4, 0, 0, fixed(0))).toEqual({ retry: false, reason: 'retries-exhausted' });
    expect(nextRetry(retryPolicy(0), 1, 0, 0, fixed(0))).toEqual({ retry: false, reason: 'retries-exhausted' });
  });

  it('waits at least the Retry-After of the last answer', () => {
    expect(nextRetry(policy, 1, 0, 0, fixed(0), 700)).toEqual({ retry: true, delayMs: 700 });
    expect(nextRetry(policy, 3, 0, 0, fixed(0), 100)).toEqual({ retry: true, delayMs: 400 });
    expect(nextRetry(policy, 1, 0, 0, fixed(0), 5_000)).toEqual({ retry: false, reason: 'deadline' });
  });

  it('spreads the default retries over most of the deadline, so they outlast a 20 s outage', () => {
    const p = retryPolicy();
    let at = 0;
    for (let retry = 1; retry <= p.maxRetries; retry++) at += backoffMs(p, retry, fixed(0));
    expect(at).toBeGreaterThan(20_000);
    expect(at).toBeLessThan(p.deadlineMs);
  });

  it('gives up when the retry would start past the deadline', () => {
    expect(nextRetry(policy, 2, 0, 801, fixed(0))).toEqual({ retry: false, reason: 'deadline' });
    expect(nextRetry(policy, 2, 0, 800, fixed(0))).toEqual({ retry: true, delayMs: 200 });
  });
});

describe('parseRetryAfter', () => {
  it.each([
    ['1', 1_000],
    [' 120 ', 120_000],
    ['0', 0],
    [undefined, undefined],
    ['Wed, 21 Oct 2015 07:28:00 GMT', undefined],
    ['-1', undefined],
    ['1.5', undefined],
  ])('%j -> %s ms', (header, expected) => {
    expect(parseRetryAfter(header)).toBe(expected);
  });
});

describe('intentOf', () => {
  it('maps poison to poison, flash to expire and no marker to normal', () => {
    expect(intentOf(undefined)).toBe('normal');
    expect(intentOf('poison')).toBe('poison');
    expect(intentOf('flash')).toBe('expire');
  });

  it('has an intent for every marker', () => {
    for (const marker of Object.keys(ORDER_MARKERS) as OrderMarker[]) expect(['poison', 'expire']).toContain(intentOf(marker));
  });
});
