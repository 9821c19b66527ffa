/**
 * How fast, and in how much memory, does the harness judge a big run? `npm run bench:checkers --
 * --events 1000000` writes a deterministic synthetic history of the reference system
 * (bench/synthetic-history.ts: one JSON-lines file per process, in a temporary run directory) in a
 * child process, then judges it here through the same path as `npm run check`
 * (harness/runner/judge.ts `judgeRunHistory`: read-history, the shared index, the ledger, every
 * checker) and prints events, wall seconds, events/s, this process's peak RSS, time per stage and
 * checker, and the verdicts. The clean history must judge VALID (exit 0).
 *
 * `--plant-loss`: the history leaves one accepted order without any downstream event; the verdict
 * must be INVALID with zero-loss naming that order (exit 0 when it does), so the benchmark cannot
 * pass by judging nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckResult } from '../harness/checkers/checker.ts';
import { judgeRunHistory } from '../harness/runner/judge.ts';
import { loadTarget } from '../harness/target/load-target.ts';
import { defineScenario, type ScenarioOptions } from '../scenarios/define-scenario.ts';
import { SYNTHETIC_FILE, writeSyntheticRun, type SyntheticRun } from './synthetic-history.ts';

const USAGE = 'usage: npm run bench:checkers -- [--events N (default 1000000)] [--seed N] [--plant-loss] [--keep]';

/** Every history checker the harness has for the reference system, on top of its baseline (zero-loss, effects, acknowledgements, liveness). */
export const CHECKER_BENCH_SCENARIO = defineScenario({
  name: 'checker-bench',
  proves: 'the checkers judge a synthetic reference-system history of the requested size',
  defaults: { rate: 400, duration: 60 },
  faults: () => [],
  checks: ['dead-letter-routing', 'prefetch-fairness'],
  catches: [],
});

interface Args {
  events: number;
  seed: number;
  plantLoss: boolean;
  keep: boolean;
  generateInto?: string;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`${args}\n${USAGE}\n`);
    return 2;
  }
  if (args.generateInto) {
    writeSyntheticRun(args.generateInto, { events: args.events, seed: args.seed, plantLoss: args.plantLoss });
    return 0;
  }

  const runDir = mkdtempSync(join(tmpdir(), 'checker-bench-'));
  try {
    // Generated in a child process, so this process's peak memory is the judging's alone.
    const generateStarted = performance.now();
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv, '--generate-into', runDir], {
      stdio: 'inherit',
    });
    if (child.status !== 0) {
      process.stderr.write(`generating the synthetic history failed (exit ${child.status ?? child.signal})\n`);
      return 2;
    }
    const run = JSON.parse(readFileSync(join(runDir, SYNTHETIC_FILE), 'utf8')) as SyntheticRun;
    const generateSeconds = (performance.now() - generateStarted) / 1_000;
    process.stdout.write(
      `synthetic history: ${run.events} events, ${run.orders} orders at ${run.rate}/s (${run.durationSeconds} s), ` +
        `written in ${generateSeconds.toFixed(1)} s to ${runDir}${run.lostOrderId ? `; planted loss: ${run.lostOrderId}` : ''}\n`,
    );

    const target = await loadTarget('reference');
    const options: ScenarioOptions = { rate: run.rate, duration: run.durationSeconds, seed: args.seed, flaws: [], clientRetries: 5 };
    const stages: [string, number][] = [];
    const started = performance.now();
    const verdict = await judgeRunHistory({
      runDir,
      target,
      scenario: CHECKER_BENCH_SCENARIO,
      options,
      settings: run.system,
      effects: run.effects,
      finalRead: run.finalRead,
      appliedFaults: run.appliedFaults,
      load: run.load,
      timed: (stage, ms) => stages.push([stage, ms]),
    });
    const wallSeconds = (performance.now() - started) / 1_000;
    const peakMb = process.resourceUsage().maxRSS / 1024;

    process.stdout.write(
      `judged ${verdict.events} events in ${wallSeconds.toFixed(2)} s: ${Math.round(verdict.events / wallSeconds)} events/s, ` +
        `peak RSS ${Math.round(peakMb)} MB\n`,
    );
    process.stdout.write(`time per stage (a shared structure counts where it is first built):\n`);
    for (const [stage, ms] of stages) process.stdout.write(`  ${stage.padEnd(28)} ${(ms / 1_000).toFixed(2).padStart(6)} s\n`);
    process.stdout.write(`verdicts:\n`);
    for (const [name, r] of Object.entries(verdict.checks))
      process.stdout.write(`  ${name.padEnd(20)} ${word(r)}  ${r.summary.slice(0, 150)}\n`);
    process.stdout.write(`overall: ${verdict.valid === true ? 'VALID' : verdict.valid === false ? 'INVALID' : 'UNKNOWN'}\n`);

    if (!run.lostOrderId) return verdict.valid === true ? 0 : 1;
    const lost = (verdict.checks['zero-loss']?.lostOrderIds ?? []) as string[];
    const found = verdict.checks['zero-loss']?.valid === false && lost.includes(run.lostOrderId);
    process.stdout.write(
      found
        ? `planted loss found: zero-loss names ${run.lostOrderId}\n`
        : `planted loss NOT found: ${run.lostOrderId} (lost: ${lost.join(', ')})\n`,
    );
    return found ? 0 : 1;
  } finally {
    if (args.keep) process.stdout.write(`kept ${runDir}\n`);
    else rmSync(runDir, { recursive: true, force: true });
  }
}

function word(r: CheckResult): string {
  return r.valid === true ? 'VALID  ' : r.valid === false ? 'INVALID' : 'UNKNOWN';
}

function parseArgs(argv: readonly string[]): Args | string {
  const args: Args = { events: 1_000_000, seed: 1, plantLoss: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--plant-loss') args.plantLoss = true;
    else if (a === '--keep') args.keep = true;
    else if (a === '--events' || a === '--seed') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < (a === '--events' ? 100 : 0) || n > 50_000_000)
        return `${a} needs an integer (events: 100 to 50000000)`;
      if (a === '--events') args.events = n;
      else args.seed = n;
    } else if (a === '--generate-into') args.generateInto = argv[++i];
    else return `unknown option ${a}`;
  }
  return args;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`fatal: ${err.stack ?? err.message}\n`);
    process.exit(2);
  },
);
