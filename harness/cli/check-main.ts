import { existsSync, readFileSync } from 'node:fs';
import { REFERENCE_TOPOLOGY } from '../../system/target/declared-topology.ts';
import { join, resolve } from 'node:path';
import { SCENARIOS } from '../../scenarios/index.ts';
import { exitCodeFor, mergeValidity, runCheckers } from '../checkers/checker.ts';
import { DeliveryLedger } from '../checkers/delivery-ledger.ts';
import { checkersFor } from '../checkers/registry.ts';
import { REPO_ROOT } from '../env/system-process.ts';
import { malformedHistoryCheck, readRunHistory } from '../history/read-history.ts';
import { renderVerdict } from '../report/verdict-table.ts';
import { faultCheck } from '../runner/fault-check.ts';
import { DEFAULT_CLIENT_RETRIES } from '../../load/client-retry.ts';
import { scenarioChecks } from '../../scenarios/define-scenario.ts';
import { loadCheck } from '../checkers/load-check.ts';
import { DEFAULT_RECOVERY_BOUND_SECONDS, recoveryCheck } from '../checkers/recovery.ts';
import type { RunResults } from '../runner/run-scenario.ts';

const USAGE = 'usage: npm run check [-- RUN_DIR]   (default: runs/latest)';

/**
 * `npm run check [-- RUN_DIR]`: judges a stored run again from its histories, stores and broker
 * figures, without running anything. For reading a CI failure at leisure, or after changing a checker.
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
    process.stderr.write(`the run is of scenario "${stored.scenario}", which this version does not know: expected one of ${SCENARIOS.map((s) => s.name).join(', ')}\n`);
    return 2;
  }
  const figuresFile = join(runDir, 'broker-figures.json');
  const broker = existsSync(figuresFile) ? (JSON.parse(readFileSync(figuresFile, 'utf8')) as Record<string, unknown>) : undefined;
  const { events, malformedLines } = readRunHistory(join(runDir, 'history'));
  const ledger = new DeliveryLedger();
  ledger.ingest(events);
  const verdict = await runCheckers(checkersFor(scenarioChecks(scenario, stored.options)), {
    runDir,
    dataDir: join(runDir, 'data'),
    target: 'reference',
    topology: REFERENCE_TOPOLOGY,
    events,
    ledger,
    system: { ...stored.system },
    clientRetries: stored.options.clientRetries ?? DEFAULT_CLIENT_RETRIES,
    ...(broker ? { broker } : {}),
    ...(stored.finalRead ? { finalRead: stored.finalRead } : {}),
  });
  // Whether the faults happened and the load was offered is not in the histories' power to say: judged from what the run recorded.
  if (stored.appliedFaults?.length) {
    verdict.results['faults'] = faultCheck(stored.appliedFaults);
    verdict.results['recovery'] = recoveryCheck(events, { targetRate: stored.options.rate, boundSeconds: scenario.recoveryBound ?? DEFAULT_RECOVERY_BOUND_SECONDS });
  }
  verdict.results['load'] = loadCheck(stored.load);
  // Events that could not be read were not judged: the same check the run itself adds.
  const history = malformedHistoryCheck(malformedLines);
  if (history) verdict.results['history'] = history;
  const valid = mergeValidity(Object.values(verdict.results).map((r) => r.valid));
  const exitCode = exitCodeFor(valid);
  process.stdout.write(`${stored.scenario} run of ${stored.startedAt} (${runDir}), judged again:\n`);
  process.stdout.write(renderVerdict(verdict.results, valid, exitCode) + '\n');
  return exitCode;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`fatal: ${err.stack ?? err.message}\n`);
    process.exit(2);
  },
);
