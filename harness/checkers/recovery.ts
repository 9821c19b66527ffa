import type { FaultEvent, HistoryEvent, OrderRequestEvent } from '../../instrument/history-event.ts';
import { historyIndex } from '../history/history-index.ts';
import type { CheckResult, Validity } from './checker.ts';

/** The system is back when it accepts this share of the target rate again. */
export const FULL_RATE_SHARE = 0.95;
export const DEFAULT_RECOVERY_BOUND_SECONDS = 20;
/** Each window should expect at least this many orders, so one late arrival does not decide "back" at low rates. */
const MIN_ORDERS_PER_WINDOW = 20;

export interface RecoveryOptions {
  targetRate: number;
  /** The system must be back to full rate within this many seconds of the heal. */
  boundSeconds?: number;
}

/** One fault window as the history shows it (wall-clock ms). */
export interface FaultWindow {
  name: string;
  start: number;
  /** When its heal completed; undefined when it never healed. */
  healed?: number;
}

export interface FaultRecovery {
  fault: string;
  /** From the first failed answer after the fault began to the first accepted one after its heal; 0 when nothing failed. */
  unavailableSeconds: number;
  /** Failed or in-doubt answers in that window. */
  errors: number;
  /** From the heal to the start of the first window in which the system accepted >= 95% of the target; undefined when never seen. */
  backToFullRateSeconds?: number;
  /** How long the load went on after the heal. */
  loadAfterHealSeconds: number;
  verdict: Validity;
  note?: string;
}

/** Pairs each fault's start event with its next stop event, in history order. */
export function faultWindows(events: readonly HistoryEvent[]): FaultWindow[] {
  const windows: FaultWindow[] = [];
  for (const f of historyIndex(events).ofKind('fault') as readonly FaultEvent[]) {
    if (f.phase === 'start') windows.push({ name: f.name, start: f.t });
    else if (f.phase === 'stop') {
      const open = windows.find((w) => w.name === f.name && w.healed === undefined);
      if (open) open.healed = f.t;
    }
  }
  return windows;
}

/**
 * Recovery under load, per fault: how long clients could not get an order accepted (first failure
 * after the fault began to the first success after its heal), how many answers failed meanwhile,
 * and how long after the heal the system accepted >= 95% of the target rate again, counted on
 * first attempts by the time they were sent (client retries would flatter the figure). A system
 * that is not back within the bound fails; a load that ended before the bound without the system
 * back cannot tell: unknown.
 */
export function recoveryCheck(events: readonly HistoryEvent[], options: RecoveryOptions): CheckResult {
  const bound = options.boundSeconds ?? DEFAULT_RECOVERY_BOUND_SECONDS;
  const answers: readonly OrderRequestEvent[] = historyIndex(events).ofKind('order-request');
  const firstAttempts = answers
    .filter((e) => (e.attempt ?? 1) === 1)
    .map((e) => ({ sent: e.t - (e.latencyMs ?? 0), ok: e.outcome === 'ok' }));
  firstAttempts.sort((a, b) => a.sent - b.sent);
  const loadEnd = firstAttempts.length ? firstAttempts[firstAttempts.length - 1]!.sent : 0;
  const windowMs = Math.max(1_000, Math.ceil((MIN_ORDERS_PER_WINDOW / Math.max(options.targetRate, 0.001)) * 1_000));
  const needed = FULL_RATE_SHARE * options.targetRate * (windowMs / 1_000);

  const recoveries: FaultRecovery[] = faultWindows(events).map((w) => {
    const loadAfterHealSeconds = w.healed === undefined ? 0 : round((loadEnd - w.healed) / 1_000);
    if (w.healed === undefined)
      return { fault: w.name, unavailableSeconds: 0, errors: 0, loadAfterHealSeconds, verdict: 'unknown', note: 'never healed' };
    const healed = w.healed;
    const firstFailure = answers.find((e) => e.t >= w.start && e.t <= healed + bound * 1_000 && e.outcome !== 'ok');
    const firstOkAfterHeal = answers.find((e) => e.t >= healed && e.outcome === 'ok');
    const windowEnd = firstFailure ? (firstOkAfterHeal?.t ?? Infinity) : w.start;
    const errors = firstFailure ? answers.filter((e) => e.t >= firstFailure.t && e.t <= windowEnd && e.outcome !== 'ok').length : 0;
    const unavailableSeconds = firstFailure ? round(((firstOkAfterHeal?.t ?? loadEnd) - firstFailure.t) / 1_000) : 0;
    const back = backToFullRate(firstAttempts, healed, loadEnd, windowMs, needed);
    const base = { fault: w.name, unavailableSeconds, errors, loadAfterHealSeconds };
    if (back !== undefined)
      return {
        ...base,
        backToFullRateSeconds: back,
        verdict: back <= bound ? true : false,
        ...(back > bound ? { note: `back to full rate after ${back} s, bound ${bound} s` } : {}),
      };
    if (loadAfterHealSeconds >= bound)
      return {
        ...base,
        verdict: false,
        note: `not back to ${FULL_RATE_SHARE * 100}% of ${options.targetRate}/s within ${bound} s of the heal`,
      };
    return {
      ...base,
      verdict: 'unknown',
      note:
        `the load ended ${loadAfterHealSeconds} s after the heal, ` +
        `before the system was back to full rate and before the ${bound} s bound`,
    };
  });

  const table = {
    columns: ['fault', 'unavailable s', 'errors', 'back to full rate after heal s', 'load after heal s', 'verdict'],
    rows: recoveries.map((r) => [
      r.fault,
      r.unavailableSeconds,
      r.errors,
      r.backToFullRateSeconds ?? '-',
      r.loadAfterHealSeconds,
      r.verdict === true ? 'ok' : r.verdict === false ? 'FAIL' : 'unknown',
    ]),
  };
  const details = { targetRate: options.targetRate, boundSeconds: bound, recoveries, table };
  if (recoveries.length === 0) return { valid: 'unknown', summary: 'no fault window in the history: nothing to recover from', ...details };
  if (firstAttempts.length === 0) return { valid: 'unknown', summary: 'no client request in the history', ...details };
  const failed = recoveries.filter((r) => r.verdict === false);
  if (failed.length) return { valid: false, summary: failed.map((r) => `${r.fault}: ${r.note}`).join('; '), ...details };
  const unknown = recoveries.filter((r) => r.verdict === 'unknown');
  if (unknown.length) return { valid: 'unknown', summary: unknown.map((r) => `${r.fault}: ${r.note}`).join('; '), ...details };
  const worst = recoveries.reduce((a, b) => ((b.backToFullRateSeconds ?? 0) > (a.backToFullRateSeconds ?? 0) ? b : a));
  return {
    valid: true,
    summary:
      `back to full rate within ${bound} s of every heal (slowest: ${worst.fault} after ${worst.backToFullRateSeconds} s; ` +
      `longest unavailability ${Math.max(...recoveries.map((r) => r.unavailableSeconds))} s)`,
    ...details,
  };
}

/** Seconds from the heal to the start of the first complete window accepting enough first attempts. */
function backToFullRate(
  firstAttempts: readonly { sent: number; ok: boolean }[],
  healed: number,
  loadEnd: number,
  windowMs: number,
  needed: number,
): number | undefined {
  const stepMs = 250;
  let lo = 0;
  let hi = 0;
  let ok = 0;
  for (let from = healed; from + windowMs <= loadEnd; from += stepMs) {
    const to = from + windowMs;
    while (hi < firstAttempts.length && firstAttempts[hi]!.sent < to) if (firstAttempts[hi++]!.ok) ok++;
    while (lo < hi && firstAttempts[lo]!.sent < from) if (firstAttempts[lo++]!.ok) ok--;
    if (ok >= needed) return round((from - healed) / 1_000);
  }
  return undefined;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
