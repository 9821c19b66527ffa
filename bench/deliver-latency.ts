import type { HistoryEvent } from '../instrument/history-event.ts';

// Publish-to-deliver latency per queue, from the histories: a message's first `publish-attempt`
// against its first `deliver` from each queue it reached, by message id. A queue whose messages
// wait long before any consumer gets them is one its consumers do not keep up with.

export interface QueueLatency {
  queue: string;
  /** Messages first delivered from this queue with a known publish. */
  messages: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export class DeliverLatency {
  readonly #published = new Map<string, number>();
  /** First delivery time per queue, per message id. */
  readonly #delivered = new Map<string, Map<string, number>>();

  ingest(events: Iterable<HistoryEvent>): void {
    for (const e of events) {
      if (e.kind === 'publish-attempt') {
        const seen = this.#published.get(e.id);
        if (seen === undefined || e.t < seen) this.#published.set(e.id, e.t);
      } else if (e.kind === 'deliver') {
        let byId = this.#delivered.get(e.queue);
        if (!byId) this.#delivered.set(e.queue, (byId = new Map()));
        const seen = byId.get(e.id);
        if (seen === undefined || e.t < seen) byId.set(e.id, e.t);
      }
    }
  }

  /** Per queue, busiest first; histories are read file by file, so this is only meaningful once everything is read. */
  byQueue(): QueueLatency[] {
    const out: QueueLatency[] = [];
    for (const [queue, byId] of this.#delivered) {
      const waits: number[] = [];
      for (const [id, t] of byId) {
        const published = this.#published.get(id);
        if (published !== undefined) waits.push(Math.max(0, t - published));
      }
      if (!waits.length) continue;
      waits.sort((a, b) => a - b);
      out.push({ queue, messages: waits.length, p50Ms: quantile(waits, 0.5), p99Ms: quantile(waits, 0.99), maxMs: waits.at(-1)! });
    }
    return out.sort((a, b) => b.messages - a.messages);
  }
}

/** Nearest-rank quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
