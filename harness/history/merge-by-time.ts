import type { HistoryEvent } from '../../instrument/history-event.ts';

/**
 * Runs of events (one per history file, each written in time order by its process) merged into
 * one time-ordered array: the same order as a stable sort of their concatenation by `t`, ties
 * going to the earlier run, for a fraction of the cost of sorting a million events. A run that
 * is not in time order (a clock step inside one process) is stable-sorted on its own first.
 */
export function mergeByTime(runs: readonly HistoryEvent[][]): HistoryEvent[] {
  const sorted = runs.filter((r) => r.length > 0).map((r) => (inTimeOrder(r) ? r : r.sort((a, b) => a.t - b.t)));
  if (sorted.length <= 1) return sorted[0] ?? [];
  const total = sorted.reduce((n, r) => n + r.length, 0);
  const out: HistoryEvent[] = new Array(total);
  const heads = sorted.map(() => 0);
  // A linear scan over the heads: a run has one file per process (ten or twenty), where a heap would not pay.
  for (let k = 0; k < total; k++) {
    let best = -1;
    let bestT = Infinity;
    for (let r = 0; r < sorted.length; r++) {
      const run = sorted[r]!;
      const i = heads[r]!;
      // Strictly less: at equal times the earlier run wins, as in a stable sort of the concatenation.
      if (i < run.length && (best < 0 || run[i]!.t < bestT)) {
        best = r;
        bestT = run[i]!.t;
      }
    }
    out[k] = sorted[best]![heads[best]!++]!;
  }
  return out;
}

function inTimeOrder(run: readonly HistoryEvent[]): boolean {
  for (let i = 1; i < run.length; i++) if (run[i]!.t < run[i - 1]!.t) return false;
  return true;
}
