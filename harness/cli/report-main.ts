import { join, resolve } from 'node:path';
import { StoredRunShapeError } from '../checkers/run-record-schema.ts';
import { REPO_ROOT } from '../env/repo-root.ts';
import { NotARunDirError, writeRunReport } from '../report/write-report.ts';

const USAGE = 'usage: npm run report [-- RUN_DIR]   (default: runs/latest)';

/**
 * `npm run report [-- RUN_DIR]`: (re)writes report.html for a stored run from its results,
 * histories and broker timeline, without running anything: for a run made before reports existed,
 * or after changing the report.
 */
function main(argv: readonly string[]): number {
  if (argv.includes('--help') || argv.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return argv.includes('--help') ? 0 : 2;
  }
  const runDir = resolve(argv[0] ?? join(process.env.HARNESS_RUNS_DIR ?? join(REPO_ROOT, 'runs'), 'latest'));
  try {
    const report = writeRunReport(runDir);
    process.stdout.write(`report: ${report.path} (${(report.bytes / 1024).toFixed(0)} KiB in ${report.seconds.toFixed(2)} s)\n`);
    return 0;
  } catch (err) {
    if (err instanceof NotARunDirError || err instanceof StoredRunShapeError || err instanceof SyntaxError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`fatal: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 2;
}
