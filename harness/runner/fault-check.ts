import type { CheckResult } from '../checkers/checker.ts';
import type { AppliedFault } from './fault-schedule.ts';

/**
 * Whether the faults a scenario claims to inject actually happened. A fault that failed to start
 * (rabbitmqctl timed out, the proxy refused) leaves a run that tested nothing, and one that failed
 * to heal leaves the system judged while still broken: either way the verdict is `unknown`, never a
 * VALID that would read as "survived the fault". The table shows planned against actual times.
 * Only for scenarios that schedule faults: with none there is nothing to check.
 */
export function faultCheck(applied: readonly AppliedFault[]): CheckResult {
  const problems: string[] = [];
  for (const f of applied) {
    if (f.startedAt === undefined) problems.push(`${f.name} never started`);
    else if (f.startError !== undefined) problems.push(`${f.name} failed to start: ${f.startError}`);
    if (f.healError !== undefined) problems.push(`${f.name} failed to heal: ${f.healError}`);
    else if (f.startedAt !== undefined && f.healedAt === undefined) problems.push(`${f.name} was never healed`);
  }
  const table = {
    columns: ['fault', 'planned at s', 'planned for s', 'started at s', 'in effect at s', 'healed at s', 'in effect for s'],
    rows: applied.map((f) => [
      f.name,
      f.plannedAt,
      f.plannedDuration,
      seconds(f.startedAt),
      seconds(f.inEffectAt),
      seconds(f.healedAt),
      f.inEffectAt !== undefined && f.healedAt !== undefined ? round(f.healedAt - f.inEffectAt) : '-',
    ]),
  };
  if (problems.length > 0) return { valid: 'unknown', summary: `the run did not test what it claims: ${problems.join('; ')}`, table };
  const spans = applied.map((f) => `${f.name} ${round(f.healedAt! - f.inEffectAt!)} s`);
  return { valid: true, summary: `every fault took effect and healed (in effect: ${spans.join(', ')})`, table };
}

const round = (s: number): number => Math.round(s * 10) / 10;
const seconds = (s: number | undefined): number | string => (s === undefined ? '-' : round(s));
