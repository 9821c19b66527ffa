import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChildRecord } from '../../../harness/env/child-registry.ts';
import { commandLineMatches, orphansOf, parseRecords, recentRunDirs } from '../../../harness/env/orphan-reaper.ts';
import { parseCmdline, parseStat, type ProcessIdentity } from '../../../harness/env/proc-info.ts';
import { decodeProcAddress, isLoopback } from '../../support/process-table.ts';
import { tempDir } from '../../support/temp-dir.ts';

const DEAD_HARNESS = { pid: 4000, startTime: 100 };
const LIVE_HARNESS = { pid: 4001, startTime: 200 };

function record(pid: number, fields: Partial<ChildRecord> = {}): ChildRecord {
  return { pid, label: `p${pid}`, t: 0, startTime: 1000 + pid, cmdline: `/usr/bin/prog ${pid}`, harness: DEAD_HARNESS, ...fields };
}

/** A /proc stand-in: the live harness, and whatever the test says is running now. */
function probeOf(running: ProcessIdentity[]): (pid: number) => ProcessIdentity | undefined {
  const table = new Map(running.map((p) => [p.pid, p]));
  table.set(LIVE_HARNESS.pid, { pid: LIVE_HARNESS.pid, startTime: LIVE_HARNESS.startTime, pgrp: 1, state: 'S', cmdline: 'node harness' });
  return (pid) => table.get(pid);
}

function running(pid: number, fields: Partial<ProcessIdentity> = {}): ProcessIdentity {
  return { pid, startTime: 1000 + pid, pgrp: 1, state: 'S', cmdline: `/usr/bin/prog ${pid}`, ...fields };
}

describe('orphansOf', () => {
  it('picks a recorded process still alive as the same process (PID, start time, command line) whose harness is gone', () => {
    expect(orphansOf([record(10)], probeOf([running(10)]))).toEqual([{ pid: 10, label: 'p10', group: false }]);
  });

  it('leaves alone a process that exited, a reused PID, a changed command line, and a zombie', () => {
    const records = [record(10), record(11), record(12), record(13)];
    const now = probeOf([running(11, { startTime: 5 }), running(12, { cmdline: '/usr/bin/other' }), running(13, { state: 'Z' })]);
    expect(orphansOf(records, now)).toEqual([]);
  });

  it('never touches the processes of a run whose harness is still alive (a run in progress beside us)', () => {
    expect(orphansOf([record(10, { harness: LIVE_HARNESS })], probeOf([running(10)]))).toEqual([]);
  });

  it('treats a harness PID now held by another process as gone', () => {
    const reused = { pid: LIVE_HARNESS.pid, startTime: 1 };
    expect(orphansOf([record(10, { harness: reused })], probeOf([running(10)])).map((o) => o.pid)).toEqual([10]);
  });

  it('leaves alone records that prove nothing: no start time, no command line, no harness start time', () => {
    const records: ChildRecord[] = [
      { pid: 10, label: 'old', t: 0, harness: DEAD_HARNESS },
      { pid: 11, label: 'no-cmdline', t: 0, startTime: 1011, harness: DEAD_HARNESS },
      { pid: 12, label: 'no-harness-time', t: 0, startTime: 1012, cmdline: '/usr/bin/prog 12', harness: { pid: 4000 } },
    ];
    expect(orphansOf(records, probeOf([running(10), running(11), running(12)]))).toEqual([]);
  });

  it('kills a group only while the process still leads it', () => {
    const records = [record(10, { group: true }), record(11, { group: true })];
    const now = probeOf([running(10, { pgrp: 10 }), running(11, { pgrp: 99 })]);
    expect(orphansOf(records, now)).toEqual([
      { pid: 10, label: 'p10', group: true },
      { pid: 11, label: 'p11', group: false },
    ]);
  });

  it("accepts a process that exec'd another program when its command line holds the recorded marker", () => {
    const broker = record(10, { cmdline: '/bin/sh /usr/lib/rabbitmq/bin/rabbitmq-server', cmdlineMarker: '/runs/x/broker' });
    expect(orphansOf([broker], probeOf([running(10, { cmdline: 'beam.smp -- -home /runs/x/broker --' })])).map((o) => o.pid)).toEqual([10]);
    expect(orphansOf([broker], probeOf([running(10, { cmdline: 'beam.smp -- -home /runs/y/broker --' })]))).toEqual([]);
  });
});

describe('commandLineMatches', () => {
  it('wants the same command line, or the marker; an empty marker matches nothing', () => {
    expect(commandLineMatches('a b', { cmdline: 'a b' })).toBe(true);
    expect(commandLineMatches('a b c', { cmdline: 'a b' })).toBe(false);
    expect(commandLineMatches('x', { cmdline: 'a', cmdlineMarker: '' })).toBe(false);
  });
});

describe('parseRecords', () => {
  it('keeps well-formed lines and drops a torn last line, and PIDs 0 and 1', () => {
    const text = [JSON.stringify(record(10)), JSON.stringify({ ...record(1) }), '{"pid": 12, "lab'].join('\n');
    expect(parseRecords(text).map((r) => r.pid)).toEqual([10]);
  });
});

describe('parseStat and parseCmdline', () => {
  it('reads state, process group and start time even when the command name holds spaces and parentheses', () => {
    const fields = ['S', '1', '4242', '4242', '0', '-1', '4194560', ...Array.from({ length: 12 }, () => '0'), '987654', '0'];
    expect(parseStat(`4242 (we(i)rd name) ${fields.join(' ')}`)).toEqual({ state: 'S', pgrp: 4242, startTime: 987654 });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('joins NUL-ended arguments with spaces', () => {
    expect(parseCmdline('sleep\u0000300\u0000')).toBe('sleep 300');
  });
});

describe('recentRunDirs', () => {
  const root = tempDir('reaper-runs');
  afterAll(() => root.remove());
  const now = Date.now();
  const hour = 3_600_000;

  function run(name: string, files: Record<string, number>): string {
    const dir = join(root.path, 'scenario', name);
    mkdirSync(dir, { recursive: true });
    for (const [file, ageMs] of Object.entries(files)) {
      writeFileSync(join(dir, file), '{}\n');
      const at = (now - ageMs) / 1000;
      utimesSync(join(dir, file), at, at);
    }
    return dir;
  }

  it('reads runs without results (the harness died) or judged recently, and skips old or empty ones', () => {
    const crashed = run('crashed', { 'processes.jsonl': hour });
    const justJudged = run('just-judged', { 'processes.jsonl': hour, 'results.json': hour });
    run('judged-long-ago', { 'processes.jsonl': 50 * hour, 'results.json': 49 * hour });
    run('too-old', { 'processes.jsonl': 9 * 24 * hour });
    run('no-processes', { 'results.json': hour });
    expect(recentRunDirs(root.path, now - 7 * 24 * hour, now - 24 * hour).sort()).toEqual([crashed, justJudged].sort());
  });
});

describe('process-table socket decoding (test support)', () => {
  it('decodes /proc/net addresses and tells loopback from the wildcard', () => {
    expect(decodeProcAddress('0100007F:1111')).toBe('127.0.0.1:4369');
    expect(decodeProcAddress('00000000000000000000000001000000:1111')).toBe('[0:0:0:0:0:0:0:1]:4369');
    expect(isLoopback('127.0.0.1:4369')).toBe(true);
    expect(isLoopback('[0:0:0:0:0:0:0:1]:4369')).toBe(true);
    expect(isLoopback('0.0.0.0:4369')).toBe(false);
    expect(isLoopback('[0:0:0:0:0:0:0:0]:4369')).toBe(false);
  });
});
