// The search for the highest sustained rate: double from the start rate until a step fails, then
// bisect between the last pass and the first fail until they are within the tolerance, all within
// a step limit and a time budget. Pure: the caller runs the steps and reports what happened.

/** Below this a "sustained rate" says nothing useful: the search gives up instead of halving further. */
export const MIN_SEARCH_RATE = 5;

export interface SearchLimits {
  startRate: number;
  maxRate: number;
  /** Converged when (lowest fail - highest pass) <= tolerance * highest pass. */
  tolerance: number;
  maxSteps: number;
  timeBudgetSeconds: number;
  minRate?: number;
}

export interface StepOutcome {
  rate: number;
  passed: boolean;
  /** Wall-clock seconds the step took, drain and settling included. */
  seconds: number;
}

export type StopReason = 'converged' | 'max-rate-passed' | 'step-limit' | 'time-limit' | 'nothing-passed';

export type SearchDecision =
  { kind: 'run'; rate: number; phase: 'ramp' | 'bisect' } | { kind: 'done'; reason: StopReason; sustained: number | null };

export class RateSearch {
  readonly #limits: Required<SearchLimits>;
  readonly #outcomes: StepOutcome[] = [];

  constructor(limits: SearchLimits) {
    this.#limits = { minRate: MIN_SEARCH_RATE, ...limits };
  }

  record(outcome: StepOutcome): void {
    this.#outcomes.push(outcome);
  }

  get outcomes(): readonly StepOutcome[] {
    return this.#outcomes;
  }

  /** The lowest rate that failed, if any. */
  get lowestFail(): number | null {
    const fails = this.#outcomes.filter((o) => !o.passed).map((o) => o.rate);
    return fails.length ? Math.min(...fails) : null;
  }

  /**
   * The highest passing rate below the lowest fail. A pass above a fail (noise on a busy machine)
   * is not trusted: the sustained rate is the one below every failure seen.
   */
  get bestPass(): number | null {
    const ceiling = this.lowestFail ?? Infinity;
    const passes = this.#outcomes.filter((o) => o.passed && o.rate < ceiling).map((o) => o.rate);
    return passes.length ? Math.max(...passes) : null;
  }

  /** What to do next, given the seconds spent so far; the next step is assumed to last as long as the longest one yet. */
  next(elapsedSeconds: number, firstStepEstimateSeconds: number): SearchDecision {
    const { startRate, maxRate, tolerance, maxSteps, timeBudgetSeconds, minRate } = this.#limits;
    const lo = this.bestPass;
    const hi = this.lowestFail;
    const done = (reason: StopReason): SearchDecision => ({ kind: 'done', reason, sustained: lo });

    let rate: number;
    let phase: 'ramp' | 'bisect';
    if (hi === null) {
      if (lo !== null && lo >= maxRate) return done('max-rate-passed');
      rate = lo === null ? startRate : Math.min(lo * 2, maxRate);
      phase = 'ramp';
    } else if (lo === null) {
      rate = Math.floor(hi / 2);
      if (rate < minRate) return done('nothing-passed');
      phase = 'bisect';
    } else {
      if (hi - lo <= tolerance * lo) return done('converged');
      rate = Math.round((lo + hi) / 2);
      if (rate <= lo || rate >= hi) return done('converged');
      phase = 'bisect';
    }
    if (this.#outcomes.length >= maxSteps) return done('step-limit');
    const estimate = Math.max(firstStepEstimateSeconds, ...this.#outcomes.map((o) => o.seconds));
    if (this.#outcomes.length > 0 && elapsedSeconds + estimate > timeBudgetSeconds) return done('time-limit');
    return { kind: 'run', rate, phase };
  }
}
