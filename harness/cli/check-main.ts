import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SCENARIOS } from '../../scenarios/index.ts';
import type { z } from 'zod';
import {
  brokerFiguresSchema,
  parseStored,
  processedSchema,
  storedRunSchema,
  StoredRunShapeError,
  type StoredRun,
} from '../checkers/run-record-schema.ts';
import { REPO_ROOT } from '../env/repo-root.ts';
import { boundHeapGrowth } from '../history/heap-growth.ts';
import { renderVerdict } from '../report/verdict-table.ts';
import { judgeRunHistory, readTargetRecords } from '../runner/judge.ts';
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
  // This process only judges: a million-event history stays under 500 MB (see heap-growth.ts).
  boundHeapGrowth();
  const runDir = resolve(argv[0] ?? join(process.env.HARNESS_RUNS_DIR ?? join(REPO_ROOT, 'runs'), 'latest'));
  const resultsFile = join(runDir, 'results.json');
  if (!existsSync(resultsFile)) {
    process.stderr.write(`no results.json in ${runDir}: expected a run directory (runs/<scenario>/<timestamp>)\n${USAGE}\n`);
    return 2;
  }
  // Typed where it is parsed: a malformed file is named with its bad fields (exit 2), never a crash inside a checker.
  let stored: RunResults;
  let broker: Record<string, unknown> | undefined;
  let processed: string[] | undefined;
  try {
    stored = parseStored(storedRunSchema, readJson(resultsFile), resultsFile) as StoredRun & RunResults;
    broker = readStored(brokerFiguresSchema, join(runDir, BROKER_FIGURES_FILE));
    processed = readStored(processedSchema, join(runDir, PROCESSED_FILE));
  } catch (err) {
    if (!(err instanceof StoredRunShapeError || err instanceof SyntaxError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 2;
  }
  const scenario = SCENARIOS.find((s) => s.name === stored.scenario);
  if (!scenario) {
    process.stderr.write(
      `the run is of scenario "${stored.scenario}", which this version does not know: ` +
        `expected one of ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
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
  // The target's stores stay in the run directory: its effects are read from there, nothing is started.
  const context: TargetStartContext = {
    runDir,
    historyDir: join(runDir, 'history'),
    dataDir: join(runDir, 'data'),
    endpoints: { publishUrl: 'amqp://unused', consumeUrl: 'amqp://unused', directUrl: 'amqp://unused' },
    flaws: stored.options.flaws,
    settings: stored.system,
  };
  const { effects } = await readTargetRecords({ ...target.started(context, new Map()), readProcessed: undefined }, (m) =>
    process.stderr.write(`${m}\n`),
  );
  const verdict = await judgeRunHistory({
    runDir,
    target,
    scenario,
    options: stored.options,
    settings: { ...stored.system },
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

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) throw new SyntaxError(`${file} is not JSON: ${err.message}`);
    throw err;
  }
}

/** An optional stored file, parsed with its schema when present. */
function readStored<S extends z.ZodType>(schema: S, file: string): z.output<S> | undefined {
  return existsSync(file) ? parseStored(schema, readJson(file), file) : undefined;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`fatal: ${err.stack ?? err.message}\n`);
    process.exit(2);
  },
);
