import { parseArgs } from 'node:util';
import type { ScenarioDefinition } from '../../scenarios/define-scenario.ts';
import { DEFAULT_TARGET } from '../target/load-target.ts';
import type { Target } from '../target/target.ts';
import { joinNegativeValues, parseNumericOption, type NumericOption } from '../../load/numeric-option.ts';
import { UsageError } from '../../load/usage-error.ts';
import { DEFAULT_CLIENT_RETRIES, MAX_CLIENT_RETRIES } from '../../load/client-retry.ts';

export const USAGE =
  `usage: npm run scenario <name> [-- options]
       npm run scenario -- --list [--target T]
       npm run scenario -- --all

options:
  --target T          the system under test: \`reference\` (the order system in system/, default) ` +
  `or a directory holding a target.json (e.g. examples/plain-orders)
  --rate N            target orders per second, 1 to 5000 (default: the scenario's)
  --duration S        seconds of load, 1 to 3600 (default: the scenario's)
  --flaw NAME         start the target with one of its named defects (repeatable, or comma-separated; --list shows them)
  --seed N            seed for order bodies and random fault schedules, 0 to 4294967295 (default: 1)
  --drain-timeout S   seconds to wait for every accepted order to be accounted for, 1 to 3600 (default: 30)
  --after-heal S      seconds of load after the last fault healed, 0 to 600 (default: 5, 8 for broker-restart and broker-kill); ` +
  `the load also goes on until the system is back to full rate
  --client-retries N  retries of an order answered 5xx or not at all (same id, backoff), ` +
  `0 to 20 (default: ${DEFAULT_CLIENT_RETRIES}; 0: off)
  --cluster N         run on a cluster of N RabbitMQ nodes (3 to 5; needs root and network namespaces) instead of one broker; ` +
  `the cluster scenarios (node-kill, partition-minority, leader-kill, rolling-restart) use 3 without it, and chaos-mix adds cluster faults
  --keep              leave the system, broker and Prometheus running after the verdict, until Ctrl-C
  --check-dashboards  also run every Grafana dashboard query against the run's Prometheus (fails on errors or empty panels)
  --list              list scenarios and the target's flaws
  --all               CI gate: every scenario against the reference system and each flaw it claims to catch
  --help              this text`;

/**
 * The bounds of the numeric options, each with the reason for its maximum: a value past it would
 * not test what it claims (the generator cannot offer that rate) or would overflow a timer
 * (setTimeout holds at most ~24.8 days; the run's watchdog adds duration and drain timeout).
 */
export const RATE_OPTION: NumericOption = {
  flag: '--rate',
  min: 1,
  max: 5_000,
  whyMax: 'the embedded generator and a 2-core machine cannot offer more; use k6 (load/k6/orders.js) for higher rates',
};
export const DURATION_OPTION: NumericOption = {
  flag: '--duration',
  min: 1,
  max: 3_600,
  whyMax: 'longer runs are soaks: start a system with --keep and drive it with `npm run load -- --profile soak` or k6',
};
export const DRAIN_TIMEOUT_OPTION: NumericOption = {
  flag: '--drain-timeout',
  min: 1,
  max: 3_600,
  whyMax: 'a system that has not caught up within an hour has stalled, and the drain gives up after 10 s without progress anyway',
};
export const SEED_OPTION: NumericOption = {
  flag: '--seed',
  min: 0,
  max: 0xffff_ffff,
  integer: true,
  whyMax: 'only the low 32 bits of a seed are used',
};
export const CLIENT_RETRIES_OPTION: NumericOption = {
  flag: '--client-retries',
  min: 0,
  max: MAX_CLIENT_RETRIES,
  integer: true,
  whyMax: 'the backoff doubles each time and every order gives up 30 s after its first attempt anyway',
};

export const CLUSTER_OPTION: NumericOption = {
  flag: '--cluster',
  min: 3,
  max: 5,
  integer: true,
  whyMax: 'each node is a full RabbitMQ (~150 MiB, a share of 2 cores); pause_minority needs an odd count of at least 3 to keep a majority',
};

export const AFTER_HEAL_OPTION: NumericOption = {
  flag: '--after-heal',
  min: 0,
  max: 600,
  whyMax: 'recovery is judged within 20 s of a heal; ten minutes of load after it is a soak',
};

// One UsageError for every command line (load/usage-error.ts); re-exported for the CLI's callers.
export { UsageError };

export type CliCommand =
  | { kind: 'help' }
  | { kind: 'list'; target: string }
  | { kind: 'all'; seed: number; rate?: number; duration?: number }
  | {
      kind: 'run';
      scenario: ScenarioDefinition;
      /** `reference` or a target directory, as given (harness/target/load-target.ts loads it). */
      target: string;
      rate: number;
      duration: number;
      /** As given: checked against the loaded target's flaws with `checkFlaws`. */
      flaws: string[];
      seed: number;
      keep: boolean;
      checkDashboards: boolean;
      drainTimeout?: number;
      clientRetries?: number;
      afterHeal?: number;
      /** Cluster size: `--cluster`, or the scenario's own need. */
      cluster?: number;
    };

export function parseScenarioArgs(argv: readonly string[], scenarios: readonly ScenarioDefinition[]): CliCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv),
      allowPositionals: true,
      strict: true,
      options: {
        target: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        flaw: { type: 'string', multiple: true },
        seed: { type: 'string' },
        'drain-timeout': { type: 'string' },
        'client-retries': { type: 'string' },
        'after-heal': { type: 'string' },
        cluster: { type: 'string' },
        keep: { type: 'boolean' },
        'check-dashboards': { type: 'boolean' },
        list: { type: 'boolean' },
        all: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  const target = values.target ?? DEFAULT_TARGET;
  if (values.list) return { kind: 'list', target };
  const seed = values.seed === undefined ? 1 : parseNumericOption(SEED_OPTION, values.seed);
  const rate = values.rate === undefined ? undefined : parseNumericOption(RATE_OPTION, values.rate);
  const duration = values.duration === undefined ? undefined : parseNumericOption(DURATION_OPTION, values.duration);
  if (values.all) {
    if (positionals.length) throw new UsageError(`--all runs every scenario; drop "${positionals.join(' ')}"`);
    // Scenarios claim to catch flaws of the reference system: the catalogue is its gate.
    if (target !== DEFAULT_TARGET)
      throw new UsageError(`--all runs the catalogue against the ${DEFAULT_TARGET} target; drop --target ${target}`);
    return { kind: 'all', seed, ...(rate !== undefined ? { rate } : {}), ...(duration !== undefined ? { duration } : {}) };
  }
  const names = scenarios.map((s) => s.name);
  if (positionals.length === 0) throw new UsageError(`expected a scenario name: one of ${names.join(', ')}`);
  if (positionals.length > 1) throw new UsageError(`expected one scenario name, got ${positionals.join(' ')}`);
  const scenario = scenarios.find((s) => s.name === positionals[0]);
  if (!scenario) throw new UsageError(`unknown scenario "${positionals[0]}": expected one of ${names.join(', ')}`);
  const flaws = (values.flaw ?? [])
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter(Boolean);
  const asked = values.cluster === undefined ? undefined : parseNumericOption(CLUSTER_OPTION, values.cluster);
  if (asked !== undefined && scenario.cluster !== undefined && asked < scenario.cluster)
    throw new UsageError(`${scenario.name} needs a cluster of at least ${scenario.cluster} nodes; drop --cluster ${asked} or raise it`);
  const cluster = asked ?? scenario.cluster;
  const drainTimeout =
    values['drain-timeout'] === undefined ? undefined : parseNumericOption(DRAIN_TIMEOUT_OPTION, values['drain-timeout']);
  return {
    kind: 'run',
    scenario,
    target,
    rate: rate ?? scenario.defaults.rate,
    duration: duration ?? scenario.defaults.duration,
    flaws: [...new Set(flaws)],
    seed,
    keep: Boolean(values.keep),
    checkDashboards: Boolean(values['check-dashboards']),
    ...(drainTimeout !== undefined ? { drainTimeout } : {}),
    ...(values['client-retries'] !== undefined
      ? { clientRetries: parseNumericOption(CLIENT_RETRIES_OPTION, values['client-retries']) }
      : {}),
    ...(values['after-heal'] !== undefined ? { afterHeal: parseNumericOption(AFTER_HEAL_OPTION, values['after-heal']) } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
  };
}

/** Flaws are the target's own: a name it does not know is a usage error listing the ones it has. */
export function checkFlaws(flaws: readonly string[], target: Pick<Target, 'name' | 'flaws'>): void {
  const known = Object.keys(target.flaws);
  for (const flaw of flaws) {
    if (!Object.hasOwn(target.flaws, flaw)) {
      throw new UsageError(
        `unknown flaw "${flaw}" for target ${target.name}: ` +
          `expected one of ${known.length ? known.join(', ') : '(none: this target has no flaws)'}`,
      );
    }
  }
}
