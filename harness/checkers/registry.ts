import { availabilityChecker, type AvailabilityOptions } from './availability.ts';
import type { CheckSpec, ScenarioDeadLetterOptions } from '../../scenarios/define-scenario.ts';
import { acknowledgementsChecker, type AcknowledgementsOptions } from './acknowledgements.ts';
import type { CheckResult, Checker } from './checker.ts';
import { deadLetterRoutingChecker } from './dead-letter-routing.ts';
import { effectsChecker } from './effects.ts';
import { livenessChecker, type LivenessOptions } from './liveness.ts';
import { prefetchFairnessChecker, type PrefetchFairnessOptions } from './prefetch-fairness.ts';
import { setChecker } from './set-checker.ts';
import { zeroLossChecker } from './zero-loss.ts';

/**
 * Every checker a scenario or a target can name, with the options it takes (as data). Adding a
 * checker is its file plus one line here: the names scenarios may use (`CheckSpec`) come from this table.
 */
export const CHECKERS = {
  'zero-loss': () => zeroLossChecker(),
  liveness: (options?: LivenessOptions) => livenessChecker(options),
  acknowledgements: (options?: AcknowledgementsOptions) => acknowledgementsChecker(options),
  'prefetch-fairness': (options?: PrefetchFairnessOptions) => prefetchFairnessChecker(options),
  'dead-letter-routing': (options?: ScenarioDeadLetterOptions) => deadLetterRoutingFor(options),
  effects: () => effectsChecker(),
  set: () => setChecker(),
  availability: (options?: AvailabilityOptions) =>
    options ? availabilityChecker(options) : { name: 'availability', check: () => needsRate('availability') },
} satisfies Record<string, (options?: never) => Checker>;

export type CheckName = keyof typeof CHECKERS;

export const CHECK_NAMES = Object.keys(CHECKERS) as CheckName[];

/** A check judged against the target rate cannot run without it. */
function needsRate(name: string): CheckResult {
  return { valid: 'unknown', summary: `${name} needs the run's target rate: give it as { name: '${name}', options: { targetRate } }` };
}

/** Scenario files and targets name their checks; this is where the names become code. */
export function checkerFor(spec: CheckSpec | string): Checker {
  const { name, options } = typeof spec === 'string' ? { name: spec, options: undefined } : spec;
  if (!Object.hasOwn(CHECKERS, name)) return unknownChecker(name);
  return (CHECKERS[name as CheckName] as (options?: unknown) => Checker)(options);
}

/** A name nobody registered (a target's typo) cannot prove anything: UNKNOWN, saying what was expected. */
function unknownChecker(name: string): Checker {
  return { name, check: () => ({ valid: 'unknown', summary: `no checker named "${name}": expected one of ${CHECK_NAMES.join(', ')}` }) };
}

/** Expectations given as a function of the history are computed from the run being judged. */
function deadLetterRoutingFor(options: ScenarioDeadLetterOptions = {}): Checker {
  const { expectDeadLetters, ...rest } = options;
  if (typeof expectDeadLetters !== 'function') return deadLetterRoutingChecker(options as Parameters<typeof deadLetterRoutingChecker>[0]);
  const name = deadLetterRoutingChecker().name;
  return { name, check: (run) => deadLetterRoutingChecker({ ...rest, expectDeadLetters: expectDeadLetters(run.events) }).check(run) };
}

export function checkersFor(specs: readonly (CheckSpec | string)[]): Checker[] {
  return specs.map(checkerFor);
}
