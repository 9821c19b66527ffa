import type { CheckSpec, ScenarioDeadLetterOptions } from '../../scenarios/define-scenario.ts';
import { acknowledgementsChecker } from './acknowledgements.ts';
import type { Checker } from './checker.ts';
import { deadLetterRoutingChecker } from './dead-letter-routing.ts';
import { effectsChecker } from './effects.ts';
import { livenessChecker } from './liveness.ts';
import { prefetchFairnessChecker } from './prefetch-fairness.ts';
import { setChecker } from './set-checker.ts';
import { zeroLossChecker } from './zero-loss.ts';

/** Scenario files name their checks (with options, as data); this is where the names become code. */
export function checkerFor(spec: CheckSpec): Checker {
  const { name, options } = typeof spec === 'string' ? { name: spec, options: undefined } : spec;
  switch (name) {
    case 'zero-loss':
      return zeroLossChecker();
    case 'liveness':
      return livenessChecker(options as Parameters<typeof livenessChecker>[0]);
    case 'acknowledgements':
      return acknowledgementsChecker(options as Parameters<typeof acknowledgementsChecker>[0]);
    case 'prefetch-fairness':
      return prefetchFairnessChecker(options as Parameters<typeof prefetchFairnessChecker>[0]);
    case 'dead-letter-routing':
      return deadLetterRoutingFor(options as ScenarioDeadLetterOptions | undefined);
    case 'effects':
      return effectsChecker();
    case 'set':
      return setChecker();
  }
}

/** Expectations given as a function of the history are computed from the run being judged. */
function deadLetterRoutingFor(options: ScenarioDeadLetterOptions = {}): Checker {
  const { expectDeadLetters, ...rest } = options;
  if (typeof expectDeadLetters !== 'function') return deadLetterRoutingChecker(options as Parameters<typeof deadLetterRoutingChecker>[0]);
  const name = deadLetterRoutingChecker().name;
  return { name, check: (run) => deadLetterRoutingChecker({ ...rest, expectDeadLetters: expectDeadLetters(run.events) }).check(run) };
}

export function checkersFor(specs: readonly CheckSpec[]): Checker[] {
  return specs.map(checkerFor);
}
