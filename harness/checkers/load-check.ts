import type { OpenModelSummary } from '../../load/open-model-generator.ts';
import type { CheckResult } from './checker.ts';

/** Below this share of the target rate the run did not test what it claims. */
export const MIN_ACHIEVED_SHARE = 0.9;
/**
 * Requests the generator may drop (no free slot, or started too late because the machine stalled
 * it) before the offered load is no longer the target: 2%, at least 10.
 */
export const DROP_BUDGET_SHARE = 0.02;
const MIN_DROP_BUDGET = 10;

/**
 * Whether the load was what the run claims: a run at 1,000,000/s that managed 5,500/s proves
 * nothing about 1,000,000/s. Achieved rate below 90% of the target, or drops beyond 2% of the
 * scheduled requests, make the verdict unknown, with the reason.
 */
export function loadCheck(load: OpenModelSummary | undefined): CheckResult {
  if (!load) return { valid: 'unknown', summary: 'no load summary: the run did not offer its load' };
  const share = load.targetRate > 0 ? load.achievedRate / load.targetRate : 0;
  const budget = Math.max(MIN_DROP_BUDGET, Math.floor(load.scheduled * DROP_BUDGET_SHARE));
  const table = {
    columns: ['target /s', 'achieved /s', 'achieved share', 'scheduled', 'sent', 'dropped', 'drop budget'],
    rows: [
      [load.targetRate, round(load.achievedRate), `${Math.round(share * 1000) / 10}%`, load.scheduled, load.sent, load.dropped, budget],
    ],
  };
  const problems = [
    share < MIN_ACHIEVED_SHARE
      ? `achieved ${round(load.achievedRate)}/s of a ${load.targetRate}/s target ` +
        `(${Math.round(share * 100)}%, at least ${MIN_ACHIEVED_SHARE * 100}% needed)`
      : '',
    load.dropped > budget
      ? `${load.dropped} requests dropped (${load.droppedNoFreeSlot} for lack of a free slot, ${load.droppedLate} late), budget ${budget}`
      : '',
  ].filter(Boolean);
  if (problems.length)
    return {
      valid: 'unknown',
      summary: `the load fell short of its target, so the run did not test what it claims: ${problems.join('; ')}`,
      table,
    };
  return { valid: true, summary: `${round(load.achievedRate)}/s of ${load.targetRate}/s offered, ${load.dropped} dropped`, table };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
