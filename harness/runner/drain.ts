import type { DeliveryLedger } from '../checkers/delivery-ledger.ts';

const POLL_MS = 500;
/** Nothing pending must stay so for this long: a message can be between two stages for a moment. */
const QUIET_MS = 1_000;
/**
 * Pending work that has not moved for this long never will: the messages are gone. Long enough to
 * cover consumers reconnecting with backoff after a fault (at most ~2 s) many times over.
 */
export const STALL_MS = 10_000;

export interface DrainResult {
  drained: boolean;
  /** Gave up early: pending work stopped changing (lost messages do not come back). */
  stalled: boolean;
  seconds: number;
  pending: { orders: number; messages: number };
}

/**
 * Waits until every accepted order is accounted for and every confirmed message has been consumed
 * at every queue it was routed to, or until the timeout. A flawed system that lost messages never
 * drains: the timeout bounds the wait, and the checkers then name what is missing.
 */
export async function drain(
  readHistory: () => void,
  ledger: DeliveryLedger,
  timeoutSeconds: number,
  signal: AbortSignal,
  stallMs = STALL_MS,
): Promise<DrainResult> {
  const started = performance.now();
  let quietSince: number | null = null;
  let lastPending = '';
  let changedAt = started;
  for (;;) {
    readHistory();
    const pending = ledger.pending();
    const now = performance.now();
    const seconds = (now - started) / 1000;
    if (pending.orders === 0 && pending.messages === 0) {
      quietSince ??= now;
      if (now - quietSince >= QUIET_MS) return { drained: true, stalled: false, seconds, pending };
    } else quietSince = null;
    const key = `${pending.orders}/${pending.messages}`;
    if (key !== lastPending) {
      lastPending = key;
      changedAt = now;
    }
    if (now - changedAt >= stallMs) return { drained: false, stalled: true, seconds, pending };
    if (seconds >= timeoutSeconds || signal.aborted) return { drained: false, stalled: false, seconds, pending };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
