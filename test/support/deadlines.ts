// Waiting in tests without ever hanging them: deadlines that name what was awaited, polling with a
// bound, and names that keep tests (and reruns) apart.
import { randomUUID } from 'node:crypto';

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** Rejects if `promise` has not settled after `ms`, naming what was awaited. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${what}: nothing after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new DeadlineError(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Names owned by one test: a random suffix keeps tests and reruns apart. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
