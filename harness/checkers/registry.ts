import type { CheckerName } from '../../scenarios/define-scenario.ts';
import type { Checker } from './checker.ts';
import { zeroLossChecker } from './zero-loss.ts';

/** Scenario files name their checks; this is where the names become code. */
export const CHECKERS: Record<CheckerName, () => Checker> = {
  'zero-loss': zeroLossChecker,
};

export function checkersFor(names: readonly CheckerName[]): Checker[] {
  return names.map((n) => CHECKERS[n]());
}
