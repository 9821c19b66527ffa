import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SCENARIOS } from '../../scenarios/index.ts';
import { DeliveryLedger } from '../checkers/delivery-ledger.ts';
import { REPO_ROOT } from '../env/repo-root.ts';
import { readRunHistory } from '../history/read-history.ts';
import { renderVerdict } from '../report/verdict-table.ts';
import { judge, readTargetRecords } from '../runner/judge.ts';
import { BROKER_FIGURES_FILE, PROCESSED_FILE, type RunResults } from '../runner/run-results.ts';
import { DEFAULT_TARGET, loadTarget, UnknownTargetError } from '../target/load-target.ts';
import type { TargetStartContext } from '../target/target.ts';

const USAGE = 'usage: npm run check [-- RUN_DIR]   (default: runs/latest)';

/**
 * `npm run check [-- RUN_DIR]`: judges a stored run again from its histories, the target's stores
 * and the broker figures, without running anything, through the same judge as the run itself. For
 * reading a CI failure at leisure, or after changing a checker.
 */
async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return argv.includes('--help') ? 0 : 2;
  }
  const runDir = resolve(argv[0] ?? join(process.env.HARNESS_RUNS_DIR ?? join(REPO_ROOT, 'runs'), 'latest'));
  const resultsFile = join(runDir, 'results.json');
  if (!existsSync(resultsFile)) {
    process.stderr.write(`no results.json in ${runDir}: expected a run directory (runs/<scenario>/<timestamp>)\n${USAGE}\n`);
    return 2;
  }
  const stored = JSON.parse(readFileSync(resultsFile, 'utf8')) as RunResults;
  const scenario = SCENARIOS.find((s) => s.name === stored.scenario);
  if (!scenario) {
    process.stderr.write(
      `the run is of scenario "${stored.scenario}", which this version does not know: expected one of ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
    );
    return 2;
  }
  // Runs stored before targets existed were all of the reference system.
  const targetRef = stored.target?.ref ?? DEFAULT_TARGET;
  let target;
  try {
    target = await loadTarget(targetRef);
  } catch (err) {
    if (!(err instanceof UnknownTargetError)) throw err;
    process.stderr.write(`the run's target cannot be loaded again: ${err.message}\n`);
    return 2;
  }
  const broker = readJson<Record<string, unknown>>(join(runDir, BROKER_FIGURES_FILE));
  const processed = readJson<string[]>(join(runDir, PROCESSED_FILE));
  const { events, malformedLines } = readRunHistory(join(runDir, 'history'));
  // The target's stores stay in the run directory: its effects are read from there, nothing is started.
  const context: TargetStartContext = {
    runDir,
    historyDir: join(runDir, 'history'),
    dataDir: join(runDir, 'data'),
    endpoints: { publishUrl: 'amqp://unused', consumeUrl: 'amqp://unused', directUrl: 'amqp://unused' },
    flaws: stored.options.flaws,
    settings: stored.system,
  };
  const ledger = new DeliveryLedger(target.topology);
  ledger.ingest(events);
  const { effects } = await readTargetRecords({ ...target.started(context, new Map()), readProcessed: undefined }, (m) =>
    process.stderr.write(`${m}\n`),
  );
  const verdict = await judge({
    runDir,
    target,
    scenario,
    options: stored.options,
    settings: { ...stored.system },
    events,
    ledger,
    malformedLines,
    ...(effects ? { effects } : {}),
    ...(processed ? { processed } : {}),
    ...(broker ? { broker } : {}),
    ...(stored.finalRead ? { finalRead: stored.finalRead } : {}),
    // Whether the faults happened and the load was offered is not in the histories' power to say: judged from what the run recorded.
    ...(stored.appliedFaults?.length ? { appliedFaults: stored.appliedFaults } : {}),
    ...(stored.load ? { load: stored.load } : {}),
  });
  process.stdout.write(`${stored.scenario} run of ${stored.startedAt} (${runDir}) on ${target.name}, judged again:\n`);
  process.stdout.write(renderVerdict(verdict.checks, verdict.valid, verdict.exitCode) + '\n');
  return verdict.exitCode;
}

function readJson<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`fatal: ${err.stack ?? err.message}\n`);
    process.exit(2);
  },
);
