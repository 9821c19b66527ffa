import type { RunRecord } from './checker.ts';

/** What the broker still held in each queue when the run was judged (ready + unacked), if known. */
export function brokerHeld(run: RunRecord): Map<string, { ready: number; unacked: number; consumers: number }> | undefined {
  const queues = run.broker?.queues;
  if (!Array.isArray(queues)) return undefined;
  const held = new Map<string, { ready: number; unacked: number; consumers: number }>();
  for (const q of queues as { name?: unknown; ready?: unknown; unacked?: unknown; consumers?: unknown }[]) {
    if (typeof q.name !== 'string') continue;
    held.set(q.name, { ready: Number(q.ready) || 0, unacked: Number(q.unacked) || 0, consumers: Number(q.consumers) || 0 });
  }
  return held;
}

/**
 * Splits a stage's missing messages (confirmed, never consumed) into those the broker still holds
 * (stuck: the system stopped consuming them) and the rest (lost: gone from the broker too).
 */
export function splitMissing(missing: number, held: { ready: number; unacked: number } | undefined): { stuck: number; lost: number } {
  const stuck = Math.min(missing, held ? held.ready + held.unacked : 0);
  return { stuck, lost: missing - stuck };
}

/** Messages the broker still holds across the given queues (ready + unacked). */
export function heldIn(held: ReturnType<typeof brokerHeld>, queues: Iterable<string>): number {
  if (!held) return 0;
  let total = 0;
  for (const q of queues) {
    const h = held.get(q);
    if (h) total += h.ready + h.unacked;
  }
  return total;
}
