import { describe, expect, it } from 'vitest';
import { RateSearch, type SearchDecision, type SearchLimits } from '../../../bench/rate-search.ts';

const LIMITS: SearchLimits = { startRate: 100, maxRate: 3_200, tolerance: 0.1, maxSteps: 20, timeBudgetSeconds: 10_000 };
const STEP_SECONDS = 20;

/** Drives the search against a system that sustains everything up to `capacity`; returns the rates it tried and how it ended. */
function searchAgainst(capacity: number, limits: SearchLimits = LIMITS): { tried: number[]; end: SearchDecision } {
  const search = new RateSearch(limits);
  const tried: number[] = [];
  let elapsed = 0;
  for (;;) {
    const decision = search.next(elapsed, STEP_SECONDS);
    if (decision.kind === 'done') return { tried, end: decision };
    tried.push(decision.rate);
    search.record({ rate: decision.rate, passed: decision.rate <= capacity, seconds: STEP_SECONDS });
    elapsed += STEP_SECONDS;
  }
}

describe('RateSearch', () => {
  it('doubles until a failure, then bisects to within the tolerance', () => {
    const { tried, end } = searchAgainst(330);
    expect(tried).toEqual([100, 200, 400, 300, 350, 325]);
    expect(end).toEqual({ kind: 'done', reason: 'converged', sustained: 325 });
  });

  it('stops at the max rate when everything passes', () => {
    const { tried, end } = searchAgainst(10_000, { ...LIMITS, maxRate: 500 });
    expect(tried).toEqual([100, 200, 400, 500]);
    expect(end).toEqual({ kind: 'done', reason: 'max-rate-passed', sustained: 500 });
  });

  it('halves below a failing start rate, and gives up below the minimum rate', () => {
    expect(searchAgainst(60)).toEqual({ tried: [100, 50, 75, 63, 57, 60], end: { kind: 'done', reason: 'converged', sustained: 60 } });
    const { tried, end } = searchAgainst(0, { ...LIMITS, minRate: 20 });
    expect(tried).toEqual([100, 50, 25]);
    expect(end).toEqual({ kind: 'done', reason: 'nothing-passed', sustained: null });
  });

  it('respects the step limit', () => {
    const { tried, end } = searchAgainst(330, { ...LIMITS, maxSteps: 4 });
    expect(tried).toEqual([100, 200, 400, 300]);
    expect(end).toEqual({ kind: 'done', reason: 'step-limit', sustained: 300 });
  });

  it('does not start a step the time budget cannot hold, judging by the longest step so far', () => {
    const search = new RateSearch({ ...LIMITS, timeBudgetSeconds: 60 });
    expect(search.next(0, 100)).toEqual({ kind: 'run', rate: 100, phase: 'ramp' }); // the first step always runs
    search.record({ rate: 100, passed: true, seconds: 25 });
    expect(search.next(25, 10)).toEqual({ kind: 'run', rate: 200, phase: 'ramp' });
    search.record({ rate: 200, passed: true, seconds: 30 });
    expect(search.next(55, 10)).toEqual({ kind: 'done', reason: 'time-limit', sustained: 200 });
  });

  it('trusts no pass above a failure', () => {
    const search = new RateSearch(LIMITS);
    search.record({ rate: 100, passed: true, seconds: 1 });
    search.record({ rate: 200, passed: false, seconds: 1 });
    search.record({ rate: 300, passed: true, seconds: 1 });
    expect(search.bestPass).toBe(100);
    expect(search.lowestFail).toBe(200);
    expect(search.next(3, 1)).toEqual({ kind: 'run', rate: 150, phase: 'bisect' });
  });

  it('stops when bisection cannot find an integer rate between pass and fail', () => {
    const search = new RateSearch({ ...LIMITS, startRate: 10, tolerance: 0.01 });
    search.record({ rate: 10, passed: true, seconds: 1 });
    search.record({ rate: 11, passed: false, seconds: 1 });
    expect(search.next(2, 1)).toEqual({ kind: 'done', reason: 'converged', sustained: 10 });
  });
});
