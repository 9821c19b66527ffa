import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildRecord } from '../../harness/env/child-registry.ts';
import { processIdentity } from '../../harness/env/proc-info.ts';
import { REPO_ROOT } from '../../harness/env/repo-root.ts';
import type { RunResults } from '../../harness/runner/run-scenario.ts';
import { sleep, until } from '../support/deadlines.ts';
import { groupMembers, isAlive, isLoopback, listeningSockets, processesMentioning, readProcessRecords } from '../support/process-table.ts';
import { spawnScenarioCli } from '../support/scenario-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

// Whatever ends a run, nothing it started may outlive it: not the broker (with its process group),
// not its epmd, not Prometheus, not a worker. Real processes, real signals.
const runs = tempDir('nothing-outlives');
afterAll(() => runs.remove());

const SETUP_TIMEOUT_MS = 120_000;
/** The promise: nothing of the run alive this long after the harness died. */
const OUTLIVE_LIMIT_MS = 10_000;
/** Into the load phase before the harness is hit. */
const MID_LOAD_MS = 2_000;

/** The run's directory as the harness announced it, once it is about to start the load (endpoints.json written). */
async function runDirInLoad(output: () => string): Promise<string> {
  return until(
    'the run to reach its load phase',
    () => {
      const runDir = /^run directory: (.+)$/m.exec(output())?.[1]?.trim();
      return runDir && existsSync(join(runDir, 'endpoints.json')) ? runDir : undefined;
    },
    SETUP_TIMEOUT_MS,
    200,
  );
}

/** Every recorded process still alive as itself, every member of the broker's group, anything naming the run directory. */
function survivors(runDir: string, records: readonly ChildRecord[]): string[] {
  const alive = records.filter((r) => isAlive(r.pid, r.startTime)).map((r) => `${r.label} (pid ${r.pid})`);
  const brokerGroups = records
    .filter((r) => r.label.startsWith('rabbitmq') || r.group)
    .flatMap((r) => groupMembers(r.pid).map((pid) => `member ${pid} of ${r.label}'s group`));
  const mentioning = processesMentioning(runDir).map((pid) => `pid ${pid} naming the run directory`);
  return [...new Set([...alive, ...brokerGroups, ...mentioning])];
}

/** The run's epmd listens on loopback only, on the port it was given. */
function expectEpmdOnLoopback(records: readonly ChildRecord[]): void {
  const epmd = records.find((r) => r.label.startsWith('epmd '));
  expect(epmd, 'the run started its own epmd').toBeDefined();
  const port = /-port (\d+)/.exec(epmd!.cmdline ?? '')?.[1];
  const sockets = listeningSockets(epmd!.pid);
  expect(sockets.length).toBeGreaterThan(0);
  expect(sockets).toContain(`127.0.0.1:${port}`);
  for (const socket of sockets) expect(isLoopback(socket), `epmd listens on ${socket}`).toBe(true);
}

function killLeftovers(records: readonly ChildRecord[], others: readonly (number | undefined)[]): void {
  for (const r of records) {
    if (!isAlive(r.pid, r.startTime)) continue;
    for (const target of r.group ? [-r.pid, r.pid] : [r.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  for (const target of others) {
    try {
      if (target !== undefined) process.kill(target, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

describe('a harness SIGKILLed mid-load', () => {
  it(
    'leaves no process of its run alive 10 s later (broker group, epmd, Prometheus, workers, proxy, lifelines)',
    { timeout: 240_000 },
    async () => {
      const cli = spawnScenarioCli(['broker-restart', '--duration', '20'], runs.path);
      let records: ChildRecord[] = [];
      try {
        const runDir = await runDirInLoad(cli.output);
        await sleep(MID_LOAD_MS);
        records = readProcessRecords(runDir);
        const broker = records.find((r) => r.label.startsWith('rabbitmq'));
        expect(broker, 'the broker is recorded').toMatchObject({ group: true });
        expect(isAlive(broker!.pid, broker!.startTime)).toBe(true);
        expect(records.some((r) => r.label.startsWith('prometheus'))).toBe(true);
        expectEpmdOnLoopback(records);

        cli.child.kill('SIGKILL');
        await cli.done;
        const deadline = Date.now() + OUTLIVE_LIMIT_MS;
        while (survivors(runDir, records).length > 0 && Date.now() < deadline) await sleep(250);
        expect(survivors(runDir, records)).toEqual([]);
      } finally {
        killLeftovers(records, [cli.child.exitCode === null ? cli.child.pid : undefined]);
      }
    },
  );
});

/**
 * What a harness that died before its lifelines could act (or a frozen worker that never read its
 * stdin's end) leaves: a live process recorded in a run whose harness is gone.
 */
async function plantOrphan(): Promise<{ pid: number; runDir: string }> {
  const harness = spawn('/bin/true');
  await new Promise((resolve) => harness.once('exit', resolve));
  const orphan = spawn('/bin/sh', ['-c', 'sleep 300 & wait'], { detached: true, stdio: 'ignore' });
  orphan.unref();
  const identity = processIdentity(orphan.pid!)!;
  const runDir = join(runs.path, 'broker-kill', '2020-01-01T00-00-00-000Z');
  mkdirSync(runDir, { recursive: true });
  const record: ChildRecord = {
    pid: orphan.pid!,
    label: 'planted-orphan',
    t: Date.now(),
    startTime: identity.startTime,
    cmdline: identity.cmdline,
    group: true,
    harness: { pid: harness.pid!, startTime: 1 },
  };
  writeFileSync(join(runDir, 'processes.jsonl'), JSON.stringify(record) + '\n');
  return { pid: orphan.pid!, runDir };
}

describe('SIGTERM to the npm script', () => {
  it(
    'reaches the harness, which heals, stops everything and exits 2: so does npm (and the harness first reaps what an earlier run left)',
    { timeout: 240_000 },
    async () => {
      const orphan = await plantOrphan();
      // What a CI cancel does: signal the direct child (npm) and nobody else.
      const npm: ChildProcess = spawn('npm', ['run', 'scenario', '--', 'broker-restart', '--duration', '20'], {
        cwd: REPO_ROOT,
        env: { ...process.env, HARNESS_RUNS_DIR: runs.path },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
      let records: ChildRecord[] = [];
      try {
        const runDir = await runDirInLoad(() => output);
        await sleep(MID_LOAD_MS);
        records = readProcessRecords(runDir);
        expect(output).toContain(`killed 1 process(es) left alive by an earlier run (${orphan.runDir}): planted-orphan pid ${orphan.pid}`);
        expect(groupMembers(orphan.pid)).toEqual([]);
        npm.kill('SIGTERM');
        expect(await exited, output).toBe(2);
        const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8')) as RunResults;
        expect(results.interrupted).toBe('interrupted by SIGTERM');
        expect(results.exitCode).toBe(2);
        expect(survivors(runDir, records)).toEqual([]);
      } finally {
        // npm's group holds the harness (exec'd into npm's child): both by the PIDs we started.
        killLeftovers(records, [-orphan.pid, ...(npm.exitCode === null && npm.pid ? [-npm.pid, npm.pid] : [])]);
      }
    },
  );
});
