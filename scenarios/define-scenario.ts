import type { ScheduledFault } from '../chaos/fault.ts';
import type { SystemSpec } from '../harness/env/order-system.ts';
import type { FlawName } from '../system/flaws.ts';

/** Checkers a scenario can ask for, by name (the harness maps names to checker code). */
export type CheckerName = 'zero-loss';

/** The knobs a user can turn on every scenario (`npm run scenario NAME -- --rate ...`). */
export interface ScenarioOptions {
  /** Target orders per second. */
  rate: number;
  /** Seconds of load. */
  duration: number;
  seed: number;
  flaws: readonly FlawName[];
}

/**
 * A scenario is data: a workload (orders at a target rate), a fault schedule and the checks that
 * must hold afterwards, plus the flaws it claims to catch (CI runs it against each of them and
 * fails if one goes unnoticed).
 */
export interface ScenarioDefinition {
  name: string;
  /** What a valid verdict proves, in one sentence. */
  proves: string;
  defaults: { rate: number; duration: number };
  faults(options: ScenarioOptions): ScheduledFault[];
  checks: readonly CheckerName[];
  catches: readonly FlawName[];
  /** Changes to the reference system's shape for this scenario (instances, speeds, prefetch). */
  system?: Partial<Omit<SystemSpec, 'flaws'>>;
  /** Seconds the drain phase may wait for every accepted order to be accounted for. */
  drainTimeout?: number;
}

export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  return definition;
}
