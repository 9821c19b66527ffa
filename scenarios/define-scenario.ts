import type { ScheduledFault } from '../chaos/fault.ts';
import type { CHECKERS, CheckName } from '../harness/checkers/registry.ts';
import type { DeadLetterRoutingOptions, ExpectedDeadLetter } from '../harness/checkers/dead-letter-routing.ts';
import type { OrderMix } from '../load/order-body.ts';
import type { HistoryEvent } from '../instrument/history-event.ts';

/**
 * Dead-letter routing options where the deaths a scenario expects may be derived from the run's
 * history (which orders were accepted, which messages were published), not only listed up front.
 */
export interface ScenarioDeadLetterOptions extends Omit<DeadLetterRoutingOptions, 'expectDeadLetters'> {
  expectDeadLetters?: readonly ExpectedDeadLetter[] | ((events: readonly HistoryEvent[]) => readonly ExpectedDeadLetter[]);
}

/**
 * Checkers a scenario can ask for, by name (harness/checkers/registry.ts maps names to checker
 * code), alone or with their options as data. The names come from the registry's table.
 */
export type CheckSpec =
  | CheckName
  | {
      [K in CheckName]: Parameters<(typeof CHECKERS)[K]> extends []
        ? never
        : { name: K; options: NonNullable<Parameters<(typeof CHECKERS)[K]>[0]> };
    }[CheckName];

/** The knobs a user can turn on every scenario (`npm run scenario NAME -- --rate ...`). */
export interface ScenarioOptions {
  /** Target orders per second. */
  rate: number;
  /** Seconds of load. */
  duration: number;
  seed: number;
  /** Flaws planted in the target, by name (each one of the target's `flaws`). */
  flaws: readonly string[];
  /** Client retries per order refused for unavailability or left in doubt (load/client-retry.ts); 5 when absent, 0 turns them off. */
  clientRetries?: number;
  /** Seconds of load after the last fault healed (default 10): recovery must happen under load. */
  afterHeal?: number;
  /** Nodes of the broker cluster the run owns (`--cluster 3`); absent: a single broker. */
  cluster?: number;
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
  /** `afterHeal`: seconds of load after the last heal (the run's default otherwise; `--after-heal` wins). */
  defaults: { rate: number; duration: number; afterHeal?: number };
  faults(options: ScenarioOptions): ScheduledFault[];
  /**
   * What must hold afterwards beyond the target's baseline checks; may depend on the options
   * (e.g. capacities from the system's speeds).
   */
  checks: readonly CheckSpec[] | ((options: ScenarioOptions) => readonly CheckSpec[]);
  /** Flaws of the reference target this scenario must catch (`npm run scenario -- --all` runs each). */
  catches: readonly string[];
  /**
   * Changes to the target's shape for this scenario (for the reference: instances, processingMs,
   * instanceProcessingMs, prefetch, ...), as data the target interprets (`Target.resolveSettings`).
   */
  settings?: Readonly<Record<string, unknown>>;
  /**
   * The cluster size the scenario needs (its faults are cluster faults): the run starts one even
   * without `--cluster`, and refuses a smaller one.
   */
  cluster?: number;
  /** Seconds the drain phase may wait for every accepted order to be accounted for. */
  drainTimeout?: number;
  /** The system must accept >= 95% of the target rate again within this many seconds of each heal (default 20). */
  recoveryBound?: number;
  /**
   * What the orders look like beyond the defaults: the fraction carrying each marker (load/order-body.ts);
   * `inject: 'malformed'`: the harness also publishes messages no worker can parse straight into the
   * work queues during the load (harness/runner/malformed-injector.ts).
   */
  workload?: { mix?: OrderMix; inject?: 'malformed' };
}

export function defineScenario(definition: ScenarioDefinition): ScenarioDefinition {
  return definition;
}

/**
 * The checks a run of `scenario` makes on a target: the target's baseline (`Target.baselineChecks`:
 * for the reference, exactly-once effects and acknowledgement discipline, which matter most exactly
 * where the broker or a consumer dies, and liveness, since a run that got stuck proves nothing about
 * loss) plus the scenario's own, each name once. A scenario's own entry of the same name (with
 * options) replaces the baseline one.
 */
export function scenarioChecks(
  scenario: ScenarioDefinition,
  options: ScenarioOptions,
  baseline: readonly string[],
): (CheckSpec | string)[] {
  const own = typeof scenario.checks === 'function' ? scenario.checks(options) : scenario.checks;
  const ownNames = new Set<string>(own.map((spec) => (typeof spec === 'string' ? spec : spec.name)));
  // Baseline names come from a target's declaration: a name the registry does not know judges UNKNOWN, naming the known ones.
  return [...baseline.filter((b) => !ownNames.has(b)), ...own];
}
