import type { FaultEvent, HistoryEvent, OrderRequestEvent } from '../../instrument/history-event.ts';
import { historyIndex } from '../history/history-index.ts';
import type { CheckResult, Checker, Validity } from './checker.ts';

/** The fault trait this check judges (chaos/fault.ts): one node gone, a quorum left. */
export const LOSES_ONE_NODE = 'loses-one-node';
export const DEFAULT_GRACE_SECONDS = 8;
export const DEFAULT_MIN_SHARE = 0.8;
/** A window shorter than this after the grace says too little to judge. */
const MIN_MEASURED_SECONDS = 3;

export interface AvailabilityOptions {
  targetRate: number;
  /** Seconds after the fault took effect for clients to fail over and queues to elect new leaders. */
  graceSeconds?: number;
  /** Share of the target rate that must be accepted (first attempts) for the rest of the fault. */
  minShare?: number;
}

interface NodeLossWindow {
  name: string;
  inEffect: number;
  /** When its heal began (or, in an older history, ended); undefined while still in effect. */
  healing?: number;
}

export interface FaultAvailability {
  fault: string;
  measuredSeconds: number;
  expected: number;
  accepted: number;
  share: number | null;
  verdict: Validity;
  note?: string;
}

/**
 * What a cluster is for: while one node is down or cut off, the others hold a quorum, so the system
 * must go on accepting orders. For each fault with the `loses-one-node` trait, from `graceSeconds`
 * after it took effect until its heal began, the first attempts sent must have been accepted at
 * `minShare` of the target rate or better. A system whose queues live on the lost node (classic
 * queues in a cluster) or whose clients never leave it accepts nothing there: false. No such fault,
 * or one too short to leave a window after the grace: unknown.
 */
export function availabilityCheck(events: readonly HistoryEvent[], options: AvailabilityOptions): CheckResult {
  const grace = options.graceSeconds ?? DEFAULT_GRACE_SECONDS;
  const minShare = options.minShare ?? DEFAULT_MIN_SHARE;
  const index = historyIndex(events);
  const sent = (index.ofKind('order-request') as readonly OrderRequestEvent[])
    .filter((e) => (e.attempt ?? 1) === 1)
    .map((e) => ({ sent: e.t - (e.latencyMs ?? 0), ok: e.outcome === 'ok' }));
  const windows = nodeLossWindows(index.ofKind('fault') as readonly FaultEvent[]);

  const results: FaultAvailability[] = windows.map((w) => {
    const from = w.inEffect + grace * 1_000;
    const to = w.healing;
    if (to === undefined)
      return { fault: w.name, measuredSeconds: 0, expected: 0, accepted: 0, share: null, verdict: 'unknown', note: 'never healed' };
    const measuredSeconds = round((to - from) / 1_000);
    if (measuredSeconds < MIN_MEASURED_SECONDS)
      return {
        fault: w.name,
        measuredSeconds: Math.max(0, measuredSeconds),
        expected: 0,
        accepted: 0,
        share: null,
        verdict: 'unknown',
        note: `in effect ${round((to - w.inEffect) / 1_000)} s: less than the ${grace} s grace plus ${MIN_MEASURED_SECONDS} s to measure`,
      };
    const expected = Math.round(options.targetRate * measuredSeconds);
    const accepted = sent.filter((a) => a.ok && a.sent >= from && a.sent < to).length;
    const share = expected > 0 ? accepted / expected : null;
    const verdict: Validity = share === null ? 'unknown' : share >= minShare;
    return {
      fault: w.name,
      measuredSeconds,
      expected,
      accepted,
      share: share === null ? null : round(share * 100) / 100,
      verdict,
      ...(verdict === false ? { note: `accepted ${accepted} of ${expected} orders (${pct(share)}) while the node was gone` } : {}),
    };
  });

  const table = {
    columns: ['fault', 'measured s (after grace)', 'expected', 'accepted', 'share', 'verdict'],
    rows: results.map((r) => [
      r.fault,
      r.measuredSeconds,
      r.expected,
      r.accepted,
      r.share === null ? '-' : pct(r.share),
      r.verdict === true ? 'ok' : r.verdict === false ? 'FAIL' : 'unknown',
    ]),
  };
  const details = { targetRate: options.targetRate, graceSeconds: grace, minShare, faults: results, table };
  if (results.length === 0)
    return { valid: 'unknown', summary: `no fault took a cluster node away (trait ${LOSES_ONE_NODE}): nothing to judge`, ...details };
  const failed = results.filter((r) => r.verdict === false);
  if (failed.length)
    return {
      valid: false,
      summary: `not available with one node gone: ${failed.map((r) => `${r.fault}: ${r.note}`).join('; ')} (needed ${pct(minShare)})`,
      ...details,
    };
  const unknown = results.filter((r) => r.verdict === 'unknown');
  if (unknown.length) return { valid: 'unknown', summary: unknown.map((r) => `${r.fault}: ${r.note}`).join('; '), ...details };
  return {
    valid: true,
    summary:
      `kept serving with one node gone: ` +
      results.map((r) => `${r.fault} ${pct(r.share!)} of ${options.targetRate}/s over ${r.measuredSeconds} s`).join(', ') +
      ` (after a ${grace} s grace)`,
    ...details,
  };
}

export function availabilityChecker(options: AvailabilityOptions): Checker {
  return { name: 'availability', check: (run) => availabilityCheck(run.events, options) };
}

/** In-effect to heal-begins windows of the faults that take one node away, in history order. */
function nodeLossWindows(faults: readonly FaultEvent[]): NodeLossWindow[] {
  const windows: NodeLossWindow[] = [];
  for (const f of faults) {
    if (!(f.traits ?? []).includes(LOSES_ONE_NODE)) continue;
    if (f.phase === 'in-effect') windows.push({ name: f.name, inEffect: f.t });
    else if (f.phase === 'healing' || f.phase === 'stop') {
      const open = windows.find((w) => w.name === f.name && w.healing === undefined);
      if (open) open.healing = f.t;
    }
  }
  return windows;
}

const round = (n: number): number => Math.round(n * 10) / 10;
const pct = (share: number | null): string => (share === null ? '-' : `${Math.round(share * 100)}%`);
