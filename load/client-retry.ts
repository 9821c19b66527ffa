import { deriveSeed, seededRandom } from './seeded-random.ts';

// What a real client does with an order whose answer was in doubt or refused for unavailability: send it
// again, same id and same body (the API's idempotent order id makes that safe), after an exponential backoff
// with jitter (never sooner than the API's Retry-After), a bounded number of times and never past a deadline.
// Pure logic; load/order-retries.ts runs it.

export const DEFAULT_CLIENT_RETRIES = 5;
/** Beyond this the backoff is long past any deadline worth waiting for: more retries only hide a dead system. */
export const MAX_CLIENT_RETRIES = 20;
/**
 * The first retry waits about this long; each further one twice as long as the one before. One second
 * spreads the default 5 retries over about 23-34 s, close to the deadline: an order left in doubt when
 * the broker died still has a retry after a 20 s outage, which is what completes a half-published order.
 * (250 ms would spend all five within 8-12 s, while the broker is still down.)
 */
export const RETRY_BASE_DELAY_MS = 1_000;
/** No single wait grows beyond this: a user gives up long before 1 s x 2^20. */
export const RETRY_MAX_DELAY_MS = 8_000;
/** Each wait is stretched by up to this fraction (seeded), so orders refused together do not come back together. */
export const RETRY_JITTER = 0.5;
/** No retry starts later than this after the order's first attempt started: the user has walked away. */
export const ORDER_RETRY_DEADLINE_MS = 30_000;

export interface RetryPolicy {
  /** retries after the first attempt; 0 turns retries off */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** fraction in [0, 1]: a wait of d becomes d x (1 + jitter x u), u uniform in [0, 1) */
  jitter: number;
  /** ms after the first attempt started, past which no retry starts */
  deadlineMs: number;
}

export class InvalidRetryPolicyError extends Error {
  override readonly name = 'InvalidRetryPolicyError';
}

/** The default policy with `maxRetries` retries (and any timing overridden, for tests); throws on bad values. */
export function retryPolicy(
  maxRetries: number = DEFAULT_CLIENT_RETRIES,
  overrides: Partial<Omit<RetryPolicy, 'maxRetries'>> = {},
): RetryPolicy {
  if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > MAX_CLIENT_RETRIES) {
    throw new InvalidRetryPolicyError(`client retries: expected an integer from 0 to ${MAX_CLIENT_RETRIES}, got ${maxRetries}`);
  }
  const policy: RetryPolicy = {
    maxRetries,
    baseDelayMs: RETRY_BASE_DELAY_MS,
    maxDelayMs: RETRY_MAX_DELAY_MS,
    jitter: RETRY_JITTER,
    deadlineMs: ORDER_RETRY_DEADLINE_MS,
    ...overrides,
  };
  for (const key of ['baseDelayMs', 'maxDelayMs', 'deadlineMs'] as const) {
    if (!Number.isFinite(policy[key]) || policy[key] < 0)
      throw new InvalidRetryPolicyError(`${key}: expected a number of ms >= 0, got ${policy[key]}`);
  }
  if (!Number.isFinite(policy.jitter) || policy.jitter < 0 || policy.jitter > 1) {
    throw new InvalidRetryPolicyError(`jitter: expected a fraction from 0 to 1, got ${policy.jitter}`);
  }
  return policy;
}

/**
 * The wait before retry number `retry` (1 = the first retry): base x 2^(retry-1), capped, then stretched
 * by the jitter. Without the cap every wait is at least the longest the previous one could have been.
 */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1));
  return exponential * (1 + policy.jitter * random());
}

/** Mixed into the seed so the jitter stream is independent of the order's body drawn from the same (seed, index). */
const RETRY_SALT = 0x72657472;

/** The jitter stream of order `index` in the run seeded with `seed`: the same order waits the same in every replay. */
export function retryRandom(seed: number, index: number): () => number {
  return seededRandom(deriveSeed((seed ^ RETRY_SALT) | 0, index));
}

/** What one attempt learned, as far as retrying cares. */
export type AttemptAnswer =
  /** `retryAfterMs`: the server's Retry-After, the least a polite client waits before trying again */
  | { kind: 'response'; status: number; retryAfterMs?: number }
  /** no complete answer: timeout, connection refused, reset or closed mid-response */
  | { kind: 'no-response' }
  /** the client itself gave the attempt up (the load was stopped): not the system's doing */
  | { kind: 'aborted' };

/**
 * 5xx (503 "in doubt" or "not taken", 500) and no answer at all are the system saying "try again";
 * 4xx (400 invalid, 409 same id with another body) will be the same answer every time; 2xx is done.
 */
export function isRetryable(answer: AttemptAnswer): boolean {
  if (answer.kind === 'no-response') return true;
  if (answer.kind === 'aborted') return false;
  return answer.status >= 500 && answer.status < 600;
}

/** Retry-After in delta-seconds (`1`, `120`) as ms; an HTTP date or anything else is ignored. */
export function parseRetryAfter(header: string | undefined): number | undefined {
  if (header === undefined || !/^\s*\d+\s*$/.test(header)) return undefined;
  return Number(header.trim()) * 1000;
}

export type GiveUpReason = 'retries-exhausted' | 'deadline';

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: GiveUpReason };

/**
 * After `attempts` attempts of an order whose first attempt started at `firstStartMs`, it is `nowMs`:
 * wait (the backoff, at least the last answer's Retry-After) and retry, or give up because the retries
 * are spent or the retry would start past the deadline.
 * Draws from `random` once per retry it considers, so retry k of an order always waits the same in a replay.
 */
export function nextRetry(
  policy: RetryPolicy,
  attempts: number,
  firstStartMs: number,
  nowMs: number,
  random: () => number,
  retryAfterMs = 0,
): RetryDecision {
  if (attempts > policy.maxRetries) return { retry: false, reason: 'retries-exhausted' };
  const delayMs = Math.max(backoffMs(policy, attempts, random), retryAfterMs);
  if (nowMs + delayMs > firstStartMs + policy.deadlineMs) return { retry: false, reason: 'deadline' };
  return { retry: true, delayMs };
}
