import type { HistoryEvent } from '../../instrument/history-event.ts';
import type { DrainResult } from './drain.ts';

const POLL_MS = 500;
/**
 * Accepted ids still missing and no new one visible for this long: the rest will not come (lost, or
 * stuck behind a consumer that is gone). Long enough for consumers reconnecting with backoff.
 */
const STALL_MS = 10_000;

export interface ProcessedDrainTiming {
  pollMs?: number;
  stallMs?: number;
}

/**
 * The drain for a black-box target: polls its readback until every accepted order id is visible,
 * until nothing new has become visible for a while (stalled), or until the timeout. An unanswered
 * readback counts as no progress: the set checker reads it again and says why it cannot judge.
 */
export async function drainProcessed(
  readProcessed: () => Promise<readonly string[]>,
  acceptedIds: Iterable<string> | (() => Iterable<string>),
  timeoutSeconds: number,
  signal: AbortSignal,
  timing: ProcessedDrainTiming = {},
): Promise<DrainResult> {
  const pollMs = timing.pollMs ?? POLL_MS;
  const stallMs = timing.stallMs ?? STALL_MS;
  const started = performance.now();
  let lastVisible = -1;
  let changedAt = started;
  for (;;) {
    const accepted = new Set(typeof acceptedIds === 'function' ? acceptedIds() : acceptedIds);
    const visible = await readProcessed().then(
      (ids) => new Set(ids),
      () => undefined,
    );
    const now = performance.now();
    const seconds = (now - started) / 1000;
    let missing = accepted.size;
    if (visible) {
      missing = 0;
      for (const id of accepted) if (!visible.has(id)) missing++;
      if (visible.size !== lastVisible) {
        lastVisible = visible.size;
        changedAt = now;
      }
    }
    const pending = { orders: missing, messages: 0 };
    if (visible && missing === 0) return { drained: true, stalled: false, seconds, pending };
    if (now - changedAt >= stallMs) return { drained: false, stalled: true, seconds, pending };
    if (seconds >= timeoutSeconds || signal.aborted) return { drained: false, stalled: false, seconds, pending };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The ids of orders the client was told were accepted (an `ok` answer to any attempt). */
export function acceptedOrderIds(events: readonly HistoryEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const e of events) if (e.kind === 'order-request' && e.outcome === 'ok') ids.add(e.orderId);
  return ids;
}
