import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../harness/env/repo-root.ts';
import { runScenarioCli } from '../../support/scenario-cli.ts';
import { tempDir } from '../../support/temp-dir.ts';

// `npm run scenario` as a process: each refusal exits 2 with one line naming what was expected,
// before any broker starts (so these need no lock and take a second each).
const runs = tempDir('cli-refusals');
afterAll(() => runs.remove());

const CLI_TIMEOUT_MS = 30_000;
const NOBODY = 65_534;
const TRAVERSABLE_DIR_MODE = 0o755;
const READ_ONLY_DIR_MODE = 0o555;

describe('npm run scenario refuses numbers it cannot honour', () => {
  it.each([
    [['broker-kill', '--rate', '-5'], '--rate: expected a number from 1 to 5000, got -5'],
    [['broker-kill', '--rate=-5'], '--rate: expected a number from 1 to 5000, got -5'],
    [
      ['broker-kill', '--rate', '1000000'],
      '--rate: expected a number from 1 to 5000, got 1000000: the embedded generator and a 2-core machine cannot offer more; use k6',
    ],
    [['broker-kill', '--duration', '99999999'], '--duration: expected a number from 1 to 3600, got 99999999: longer runs are soaks'],
    [
      ['broker-kill', '--drain-timeout', '99999999'],
      '--drain-timeout: expected a number from 1 to 3600, got 99999999: a system that has not caught up',
    ],
    [['broker-kill', '--drain-timeout', '-1'], '--drain-timeout: expected a number from 1 to 3600, got -1'],
  ])('%j: exit 2, the range and the usage', async (argv, message) => {
    const run = await runScenarioCli(argv, runs.path, CLI_TIMEOUT_MS);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toContain(message);
    expect(run.stderr).toMatch(/usage: npm run scenario <name>/);
    expect(run.stderr).not.toMatch(/ambiguous|at .*\.ts:\d+/);
  });
});

describe('npm run scenario refuses a runs directory it cannot write', () => {
  it('a path through a regular file: exit 2, one line naming the path and what to do', async () => {
    const runsDir = join(runs.path, 'a-file', 'runs');
    writeFileSync(join(runs.path, 'a-file'), '');
    const run = await runScenarioCli(['broker-kill'], runsDir, CLI_TIMEOUT_MS);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `runs directory ${runsDir} is not writable (ENOTDIR on mkdir ${runsDir}): ` +
        `make it writable by this user, or set HARNESS_RUNS_DIR to a writable directory\n`,
    );
  });

  it('a read-only directory (EACCES): exit 2, one line, no stack', async () => {
    // As root the mode bits do not bind, so the CLI runs as nobody; otherwise as this user.
    const parent = join(runs.path, 'locked-parent');
    const locked = join(parent, 'locked');
    mkdirSync(locked, { recursive: true });
    chmodSync(runs.path, TRAVERSABLE_DIR_MODE);
    chmodSync(parent, TRAVERSABLE_DIR_MODE);
    chmodSync(locked, READ_ONLY_DIR_MODE);
    const runsDir = join(locked, 'runs');
    const asNobody = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
    const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/scenario-main.ts', 'broker-kill'], {
      cwd: REPO_ROOT,
      env: { ...process.env, HARNESS_RUNS_DIR: runsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...asNobody,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(timer);
    expect(code).toBe(2);
    expect(stderr).toBe(
      `runs directory ${runsDir} is not writable (EACCES on mkdir ${runsDir}): ` +
        `make it writable by this user, or set HARNESS_RUNS_DIR to a writable directory\n`,
    );
  });
});
