import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { PARENT_POLL_MS, SAME_INTERRUPT_MS } from '../../../harness/cli/process-guards.ts';
import { liveChildren, type ChildRecord } from '../../../harness/env/child-registry.ts';
import { spawnWithLifeline } from '../../../harness/env/lifeline.ts';
import { reapOrphans } from '../../../harness/env/orphan-reaper.ts';
import { processIdentity } from '../../../harness/env/proc-info.ts';
import { REPO_ROOT } from '../../../harness/env/repo-root.ts';
import { sleep, until } from '../../support/deadlines.ts';
import { groupMembers, isAlive, readProcessRecords } from '../../support/process-table.ts';
import { tempDir } from '../../support/temp-dir.ts';

// Real processes and real signals, no broker: the lifeline, the reaper and the interrupt guards alone.
const dir = tempDir('lifelines');
const started: number[] = [];
afterAll(() => {
  // Whatever a failed test left, by the PIDs it started (groups first).
  for (const pid of started) {
    for (const target of [-pid, pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  }
  dir.remove();
});

function tsx(script: string, args: string[], stdio: 'pipe' | 'ignore' = 'pipe'): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, stdio: ['ignore', stdio, 'inherit'] });
  if (child.pid) started.push(child.pid);
  return child;
}

function firstLine<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line) as T));
    child.once('exit', (code) => reject(new Error(`exited (${code}) before its first line`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('a lifeline', () => {
  it('SIGKILLs the whole process group it watches when its holder is SIGKILLed', { timeout: 30_000 }, async () => {
    const holderDir = join(dir.path, 'holder');
    mkdirSync(holderDir);
    const holder = tsx('test/support/lifeline-holder.ts', [join(holderDir, 'processes.jsonl')]);
    const { leader } = await firstLine<{ leader: number }>(holder);
    started.push(leader);
    const records = readProcessRecords(holderDir);
    const lifeline = records.find((r) => r.label === 'lifeline of sleepers')!;
    expect(records.find((r) => r.label === 'sleepers')).toMatchObject({ pid: leader, group: true, harness: { pid: holder.pid } });
    expect(lifeline).toBeDefined();
    // The shell and its sleep.
    await until('the leader and its child in the group', () => (groupMembers(leader).length >= 2 ? true : undefined), 5_000);

    holder.kill('SIGKILL');
    await until('the group gone after the holder died', () => (groupMembers(leader).length === 0 ? true : undefined), 5_000);
    expect(isAlive(lifeline.pid, lifeline.startTime)).toBe(false);
  });

  it('takes what is left of the group, and goes, once the leader exits by itself', { timeout: 30_000 }, async () => {
    const leader = spawnWithLifeline('/bin/sh', ['-c', 'sleep 300 & sleep 0.5'], { stdio: 'ignore', label: 'short-lived' });
    started.push(leader.pid!);
    const lifeline = liveChildren().find((c) => c.label === 'lifeline of short-lived')!;
    expect(lifeline).toBeDefined();
    await until('the leader exited', () => (leader.exitCode !== null ? true : undefined), 5_000);
    // The leader's `sleep 300` outlived it, in its group, until the lifeline saw the leader go.
    await until('the orphaned sleep killed', () => (groupMembers(leader.pid!).length === 0 ? true : undefined), 5_000);
    await until('the lifeline gone', () => (liveChildren().some((c) => c.pid === lifeline.pid) ? undefined : true), 5_000);
  });
});

describe('reapOrphans', () => {
  it('kills, by PID and group, only what a dead harness recorded and is provably still the same process', { timeout: 30_000 }, async () => {
    const sleeper = () => {
      const child = spawn('/bin/sh', ['-c', 'sleep 300 & wait'], { detached: true, stdio: 'ignore' });
      child.unref();
      started.push(child.pid!);
      return child.pid!;
    };
    const [orphan, ofLiveRun, renamed, reused] = [sleeper(), sleeper(), sleeper(), sleeper()];
    await until(
      'the sleepers have forked',
      () => ([orphan, ofLiveRun].every((p) => groupMembers(p).length >= 2) ? true : undefined),
      5_000,
    );
    const gone = spawn('/bin/true');
    await exitCode(gone);
    const deadHarness = { pid: gone.pid!, startTime: 1 };
    const me = { pid: process.pid, startTime: processIdentity(process.pid)!.startTime };
    const recordOf = (pid: number, harness: ChildRecord['harness'], changes: Partial<ChildRecord> = {}): ChildRecord => {
      const now = processIdentity(pid)!;
      return {
        pid,
        label: `sleeper-${pid}`,
        t: Date.now(),
        startTime: now.startTime,
        cmdline: now.cmdline,
        group: true,
        harness,
        ...changes,
      };
    };
    const runDir = join(dir.path, 'runs', 'broker-restart', '2020-01-01T00-00-00-000Z');
    mkdirSync(runDir, { recursive: true });
    const lines = [
      recordOf(orphan, deadHarness),
      recordOf(ofLiveRun, me),
      recordOf(renamed, deadHarness, { cmdline: '/bin/sh -c something else' }),
      recordOf(reused, deadHarness, { startTime: 1 }),
    ];
    writeFileSync(join(runDir, 'processes.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n{"pid": 12');

    const reaped = reapOrphans(join(dir.path, 'runs'));
    expect(reaped).toEqual([{ pid: orphan, label: `sleeper-${orphan}`, runDir, group: true }]);
    await until('the orphan and its child gone', () => (groupMembers(orphan).length === 0 ? true : undefined), 5_000);
    for (const pid of [ofLiveRun, renamed, reused]) expect(isAlive(pid), `pid ${pid} must be left alone`).toBe(true);
  });
});

describe('interruptOnSignals', () => {
  it('stops the command (exit 2, cleanup done) when its parent goes away', { timeout: 30_000 }, async () => {
    const report = join(dir.path, 'parent-gone.txt');
    // A parent that dies without passing anything on, as npm does when it is SIGKILLed.
    const parent = spawn('/bin/sh', ['-c', `"${process.execPath}" --import tsx test/support/interrupt-probe.ts "${report}" & wait`], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    started.push(parent.pid!);
    const { ready, parent: parentPid } = await firstLine<{ ready: number; parent: number }>(parent);
    started.push(ready);
    expect(parentPid).toBe(parent.pid);
    parent.kill('SIGKILL');
    await until('the probe reported its interrupt', () => (existsSync(report) ? true : undefined), PARENT_POLL_MS + 10_000);
    expect(readFileSync(report, 'utf8')).toBe(`parent process ${parent.pid} exited`);
    await until('the probe exited', () => (isAlive(ready) ? undefined : true), 5_000);
  });

  it(
    'takes one Ctrl-C delivered twice within ms (terminal and npm) as one interrupt: cleanup, then exit 2',
    { timeout: 30_000 },
    async () => {
      const report = join(dir.path, 'double-sigint.txt');
      const probe = tsx('test/support/interrupt-probe.ts', [report]);
      await firstLine(probe);
      probe.kill('SIGINT');
      probe.kill('SIGINT');
      expect(await exitCode(probe)).toBe(2);
      expect(readFileSync(report, 'utf8')).toBe('interrupted by SIGINT');
    },
  );

  it('kills at once on a second, distinct signal: exit 2 without waiting for the cleanup', { timeout: 30_000 }, async () => {
    const report = join(dir.path, 'second-signal.txt');
    const probe = tsx('test/support/interrupt-probe.ts', [report]);
    await firstLine(probe);
    probe.kill('SIGTERM');
    await sleep(SAME_INTERRUPT_MS + 200);
    probe.kill('SIGINT');
    expect(await exitCode(probe)).toBe(2);
    expect(existsSync(report)).toBe(false);
  });
});
