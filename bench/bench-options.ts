import { parseCommandLine } from '../load/command-line.ts';
import { parseOptionalNumeric } from '../load/numeric-option.ts';
import { UsageError } from '../load/usage-error.ts';

// Command-line options of `npm run bench`, parsed without side effects so they can be tested.

export interface BenchOptions {
  /** First step's target rate (orders/s). */
  startRate: number;
  /** The search never asks for more than this (orders/s). */
  maxRate: number;
  /** Seconds of steady load per step (the drain wait comes on top). */
  stepSeconds: number;
  /** A step fails when the client's p99 latency (from each request's scheduled start) exceeds this. */
  p99Ms: number;
  maxSteps: number;
  /** Wall-clock budget of the rate search (setup and baselines not included). */
  searchSeconds: number;
  /** The bisection stops once last pass and first fail are this close (fraction of the pass). */
  tolerance: number;
  /** How long each raw publish baseline runs. */
  baselineSeconds: number;
  /** A step fails when more than this many seconds of its orders were still in the pipeline as its load ended. */
  maxBacklogSeconds: number;
  /** Outstanding publisher confirms allowed on the baseline's channel. */
  confirmWindow: number;
  /** Longest wait, after a step's load, for its accepted orders to reach a terminal state. */
  drainSeconds: number;
  /** Unjudged load at the start rate before the first step: the system's processes start cold (JIT, connections, stores). 0 = none. */
  warmupSeconds: number;
  /** Also measure the raw baseline through the producer proxy. */
  proxyBaseline: boolean;
  /**
   * Reference settings the system runs with, over its defaults (the same keys a scenario's
   * `settings` takes). The scenarios keep the reference's small default shape because their claims
   * rest on it (two instances of each worker kind, 20 payment slots per instance); the bench asks
   * what the design sustains when sized for throughput.
   */
  settings: Record<string, unknown>;
  /** Route the system's connections through the harness's proxies as a scenario does (default: straight to the broker, no fault is injected). */
  throughProxy: boolean;
  /** Seed of step 1's orders; step k uses seed + k - 1 and the warm-up seed + WARMUP_SEED_OFFSET, so no two share order ids. */
  seed: number;
  help: boolean;
}

/**
 * The bench's sizing of the reference: one process per worker kind, each with more work slots
 * (prefetch follows, so no consumer holds a delivery it cannot start on). Measured here: a second
 * process of a kind adds mostly CPU, while too few slots cap a stage at slots / hold time (the
 * simulated 100 ms gateway call for payments; the downstream confirms for the rest). The scenarios
 * keep the default shape (two of each, 20 slots) because their claims rest on it. Guarantees are
 * the reference's own: confirms, persistence, acks after the effect, idempotency, dead-lettering.
 */
export const BENCH_SETTINGS: Readonly<Record<string, unknown>> = {
  instances: { orders: 1, payments: 1, inventory: 1, notifications: 1 },
  concurrency: { orders: 50, payments: 100, inventory: 50, notifications: 50 },
};

export const DEFAULT_BENCH_OPTIONS: Readonly<BenchOptions> = {
  startRate: 100,
  maxRate: 3_200,
  stepSeconds: 15,
  p99Ms: 500,
  maxBacklogSeconds: 1,
  maxSteps: 8,
  searchSeconds: 300,
  tolerance: 0.1,
  baselineSeconds: 10,
  confirmWindow: 500,
  drainSeconds: 30,
  warmupSeconds: 5,
  proxyBaseline: true,
  settings: { ...BENCH_SETTINGS },
  throughProxy: false,
  seed: 1,
  help: false,
};

const D = DEFAULT_BENCH_OPTIONS;
/** Far above any step count, so the warm-up's order ids never collide with a step's. */
export const WARMUP_SEED_OFFSET = 100_000;
export const USAGE = `usage: npm run bench -- [options]
What is the highest order rate the reference system sustains on this machine, and how does that
compare with what the broker does raw (persistent publishes with confirms)?
  --start-rate N        first step, orders/s (default ${D.startRate})
  --max-rate N          highest rate tried, orders/s (default ${D.maxRate})
  --step-seconds S      steady load per step (default ${D.stepSeconds})
  --p99-ms MS           p99 latency bound of a passing step (default ${D.p99Ms})
  --max-backlog-seconds S  a step fails if more than S seconds of its orders (at the target rate)
                        were unfinished when its load ended: the pipeline fell behind (default ${D.maxBacklogSeconds})
  --max-steps N         at most this many steps (default ${D.maxSteps})
  --search-seconds S    time budget of the search (default ${D.searchSeconds})
  --tolerance F         stop bisecting when (fail - pass) <= F * pass (default ${D.tolerance})
  --baseline-seconds S  duration of each raw publish baseline (default ${D.baselineSeconds})
  --window N            outstanding confirms in the raw baseline (default ${D.confirmWindow})
  --drain-seconds S     longest drain wait after a step (default ${D.drainSeconds})
  --warmup-seconds S    unjudged load at the start rate before step 1, 0 = none (default ${D.warmupSeconds})
  --no-proxy-baseline   skip the raw baseline through the proxy
  --settings JSON       reference settings over its defaults, as a scenario's \`settings\`
                        (default ${JSON.stringify(D.settings)}; '{}' runs the scenarios' default shape)
  --through-proxy       connect the system through the harness's proxies, as scenarios do
                        (default: straight to the broker; the bench injects no fault)
  --seed N              seed of the first step's orders (default ${D.seed})
  --help                this text
exit codes: 0 a sustained rate was found, 1 no step passed, 2 bad options, could not run or interrupted`;

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const values = parseCommandLine(argv, {
    'start-rate': { type: 'string' },
    'max-rate': { type: 'string' },
    'step-seconds': { type: 'string' },
    'p99-ms': { type: 'string' },
    'max-backlog-seconds': { type: 'string' },
    'max-steps': { type: 'string' },
    'search-seconds': { type: 'string' },
    tolerance: { type: 'string' },
    'baseline-seconds': { type: 'string' },
    window: { type: 'string' },
    'drain-seconds': { type: 'string' },
    'warmup-seconds': { type: 'string' },
    'no-proxy-baseline': { type: 'boolean' },
    settings: { type: 'string' },
    'through-proxy': { type: 'boolean' },
    seed: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const options: BenchOptions = {
    startRate: parseOptionalNumeric({ flag: '--start-rate', min: 1, integer: true }, values['start-rate']) ?? D.startRate,
    maxRate: parseOptionalNumeric({ flag: '--max-rate', min: 1, integer: true }, values['max-rate']) ?? D.maxRate,
    stepSeconds: parseOptionalNumeric({ flag: '--step-seconds', min: 1 }, values['step-seconds']) ?? D.stepSeconds,
    p99Ms: parseOptionalNumeric({ flag: '--p99-ms', min: 1 }, values['p99-ms']) ?? D.p99Ms,
    maxBacklogSeconds:
      parseOptionalNumeric({ flag: '--max-backlog-seconds', min: 0 }, values['max-backlog-seconds']) ?? D.maxBacklogSeconds,
    maxSteps: parseOptionalNumeric({ flag: '--max-steps', min: 1, integer: true }, values['max-steps']) ?? D.maxSteps,
    searchSeconds: parseOptionalNumeric({ flag: '--search-seconds', min: 1 }, values['search-seconds']) ?? D.searchSeconds,
    tolerance: parseOptionalNumeric({ flag: '--tolerance', min: 0.01, max: 1 }, values.tolerance) ?? D.tolerance,
    baselineSeconds: parseOptionalNumeric({ flag: '--baseline-seconds', min: 1 }, values['baseline-seconds']) ?? D.baselineSeconds,
    confirmWindow: parseOptionalNumeric({ flag: '--window', min: 1, integer: true }, values.window) ?? D.confirmWindow,
    drainSeconds: parseOptionalNumeric({ flag: '--drain-seconds', min: 1 }, values['drain-seconds']) ?? D.drainSeconds,
    warmupSeconds: parseOptionalNumeric({ flag: '--warmup-seconds', min: 0 }, values['warmup-seconds']) ?? D.warmupSeconds,
    proxyBaseline: values['no-proxy-baseline'] !== true,
    settings: values.settings === undefined ? { ...D.settings } : parseSettings(values.settings),
    throughProxy: values['through-proxy'] === true,
    seed: parseOptionalNumeric({ flag: '--seed', min: 0, integer: true }, values.seed) ?? D.seed,
    help: values.help === true,
  };
  if (options.startRate > options.maxRate)
    throw new UsageError(`--start-rate (${options.startRate}) must not exceed --max-rate (${options.maxRate})`);
  return options;
}

function parseSettings(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--settings: expected a JSON object, e.g. '{"instances":{"payments":3}}': ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError(`--settings: expected a JSON object, e.g. '{"instances":{"payments":3}}'`);
  return parsed as Record<string, unknown>;
}
