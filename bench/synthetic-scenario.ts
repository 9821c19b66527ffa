import { defineScenario } from '../scenarios/define-scenario.ts';

/**
 * What the checker benchmark judges a synthetic history with: the reference target's baseline
 * (zero-loss, effects, acknowledgements, liveness) plus every other history checker it has, and,
 * since the history holds a fault window, faults and recovery. Not a scenario anyone runs.
 */
export const CHECKER_BENCH_SCENARIO = defineScenario({
  name: 'checker-bench',
  proves: 'the checkers judge a synthetic reference-system history of the requested size',
  defaults: { rate: 400, duration: 60 },
  faults: () => [],
  checks: ['dead-letter-routing', 'prefetch-fairness'],
  catches: [],
});
