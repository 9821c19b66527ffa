import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { REPO_ROOT } from '../../harness/env/repo-root.ts';
import type { RunResults } from '../../harness/runner/run-scenario.ts';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  results?: RunResults;
}

/** Starts `npm run scenario` the way a user would (minus npm), with runs kept in `runsDir`. */
export function spawnScenarioCli(
  args: readonly string[],
  runsDir: string,
  env: NodeJS.ProcessEnv = {},
): { child: ChildProcess; done: Promise<CliRun>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/scenario-main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, HARNESS_RUNS_DIR: runsDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve) => {
    child.once('exit', (code, signal) => {
      const path = /^results: (.+)$/m.exec(stdout)?.[1];
      const results = path && existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as RunResults) : undefined;
      resolve({ code, signal, stdout, stderr, ...(results ? { results } : {}) });
    });
  });
  return { child, done, output: () => stdout + stderr };
}

/** Runs the CLI to completion, killing it (by its PID) if it overruns `timeoutMs`. */
export async function runScenarioCli(
  args: readonly string[],
  runsDir: string,
  timeoutMs: number,
  env: NodeJS.ProcessEnv = {},
): Promise<CliRun> {
  const { child, done } = spawnScenarioCli(args, runsDir, env);
  const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
  try {
    return await done;
  } finally {
    clearTimeout(timer);
  }
}

/** `npm run check -- RUN_DIR`: judges a stored run again. */
export function runCheckCli(runDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'harness/cli/check-main.ts', runDir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}
