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
import { boundHeapGrowth } from '../harness/history/heap-growth.ts';
import { judgeRunHistory } from '../harness/runner/judge.ts';
import { loadTarget } from '../harness/target/load-target.ts';
import type { ScenarioOptions } from '../scenarios/define-scenario.ts';
import { SYNTHETIC_FILE, writeSyntheticRun, type SyntheticRun } from './synthetic-history.ts';
import { CHECKER_BENCH_SCENARIO } from './synthetic-scenario.ts';

const USAGE =
  'usage: npm run bench:checkers -- [--events N (default 1000000)] [--seed N] [--plant-loss] [--keep] [--run-dir DIR (judge a kept run again)]';

interface Args {
  events: number;
  seed: number;
  plantLoss: boolean;
  keep: boolean;
  generateInto?: string;
  /** Judge a run a previous `--keep` left, without generating (for profiling). */
  runDir?: string;
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

  const runDir = args.runDir ?? mkdtempSync(join(tmpdir(), 'checker-bench-'));
  const keep = args.keep || args.runDir !== undefined;
  try {
    // Generated in a child process, so this process's peak memory is the judging's alone.
    const generateStarted = performance.now();
    const child = args.runDir
      ? { status: 0 }
      : spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...argv, '--generate-into', runDir], {
          stdio: 'inherit',
        });
    if (child.status !== 0) {
      process.stderr.write(`generating the synthetic history failed (exit ${child.status ?? 'signal'})\n`);
      return 2;
    }
    const run = JSON.parse(readFileSync(join(runDir, SYNTHETIC_FILE), 'utf8')) as SyntheticRun;
    const generateSeconds = (performance.now() - generateStarted) / 1_000;
    process.stdout.write(
      `synthetic history: ${run.events} events, ${run.orders} orders at ${run.rate}/s (${run.durationSeconds} s), ` +
        `written in ${generateSeconds.toFixed(1)} s to ${runDir}${run.lostOrderId ? `; planted loss: ${run.lostOrderId}` : ''}\n`,
    );

    boundHeapGrowth();
    const target = await loadTarget('reference');
    const options: ScenarioOptions = { rate: run.rate, duration: run.durationSeconds, seed: args.seed, flaws: [], clientRetries: 5 };
    const stages: [string, number][] = [];
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
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
    const cpu = process.cpuUsage(cpuBefore);
    const peakMb = process.resourceUsage().maxRSS / 1024;

    process.stdout.write(
      `judged ${verdict.events} events in ${wallSeconds.toFixed(2)} s: ${Math.round(verdict.events / wallSeconds)} events/s, ` +
        `peak RSS ${Math.round(peakMb)} MB (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s)\n`,
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
    if (keep) process.stdout.write(`kept ${runDir}\n`);
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
    else if (a === '--run-dir') args.runDir = argv[++i];
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
