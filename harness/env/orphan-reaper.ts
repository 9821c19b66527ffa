import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROCESSES_FILE, type ChildRecord } from './child-registry.ts';
import { bootTimeMs, processIdentity, type ProcessIdentity } from './proc-info.ts';

/**
 * The second line of defence behind the lifelines: a harness that died without stopping its
 * children (SIGKILL, a machine under memory pressure, a lifeline killed with it) left their PIDs in
 * its run's `processes.jsonl`. The next harness kills what is still alive there, by PID, and only a
 * process that is provably the one recorded: same PID, same start time, same command line, and
 * its harness gone (a run in progress, even another one beside us, is never touched). Never by name.
 */

/** Runs whose process list is older than this are not read again: anything they left was reaped by an earlier start. */
export const LOOKBACK_MS = 7 * 24 * 3_600_000;
/** A run writes results.json just before its teardown; one that did so this long ago has finished tearing down. */
export const TEARDOWN_WINDOW_MS = 24 * 3_600_000;
const RESULTS_FILE = 'results.json';

export interface ReapedProcess {
  pid: number;
  label: string;
  runDir: string;
  /** Its process group was killed too (the broker, epmd and Prometheus lead one). */
  group: boolean;
}

/** Reads what /proc says now about a PID (injected by tests). */
export type IdentityProbe = (pid: number) => ProcessIdentity | undefined;

/** Kills whatever earlier runs under `runsRoot` left alive; returns what it killed. */
export function reapOrphans(runsRoot: string, now = Date.now()): ReapedProcess[] {
  const booted = bootTimeMs();
  // Without /proc nothing can be proven about a PID: kill nothing.
  if (booted === undefined) return [];
  const reaped: ReapedProcess[] = [];
  for (const runDir of recentRunDirs(runsRoot, Math.max(booted, now - LOOKBACK_MS), now - TEARDOWN_WINDOW_MS)) {
    for (const victim of orphansOf(readRecords(join(runDir, PROCESSES_FILE)), processIdentity)) {
      if (victim.group) signalQuietly(-victim.pid);
      signalQuietly(victim.pid);
      reaped.push({ ...victim, runDir });
    }
  }
  return reaped;
}

/** reapOrphans, saying what it killed (one line per earlier run), for a command about to start its own. */
export function reapOrphansAndSay(runsRoot: string, log: (message: string) => void): ReapedProcess[] {
  const reaped = reapOrphans(runsRoot);
  const byRun = new Map<string, ReapedProcess[]>();
  for (const r of reaped) byRun.set(r.runDir, [...(byRun.get(r.runDir) ?? []), r]);
  for (const [runDir, victims] of byRun)
    log(
      `killed ${victims.length} process(es) left alive by an earlier run (${runDir}): ` +
        `${victims.map((v) => `${v.label} pid ${v.pid}`).join(', ')}`,
    );
  return reaped;
}

/**
 * Which recorded processes are orphans still alive, given what /proc says now. Pure: decides, kills nothing.
 * A record without a start time, command line or harness identity proves nothing and is left alone.
 */
export function orphansOf(records: readonly ChildRecord[], probe: IdentityProbe): { pid: number; label: string; group: boolean }[] {
  const harnessAlive = new Map<string, boolean>();
  const orphans: { pid: number; label: string; group: boolean }[] = [];
  for (const record of records) {
    const { harness } = record;
    if (record.startTime === undefined || record.cmdline === undefined || harness?.startTime === undefined) continue;
    const key = `${harness.pid}/${harness.startTime}`;
    if (!harnessAlive.has(key)) harnessAlive.set(key, sameProcess(probe(harness.pid), harness.startTime));
    if (harnessAlive.get(key)) continue;
    const now = probe(record.pid);
    if (!now || !sameProcess(now, record.startTime)) continue;
    if (!commandLineMatches(now.cmdline, record)) continue;
    // Only a group it still leads: the group id is then certainly its own.
    orphans.push({ pid: record.pid, label: record.label, group: record.group === true && now.pgrp === record.pid });
  }
  return orphans;
}

function sameProcess(identity: ProcessIdentity | undefined, startTime: number): boolean {
  return identity !== undefined && identity.startTime === startTime && identity.state !== 'Z';
}

/** What it ran then, or, for a process that exec'd another program since (the broker), the marker its command line must hold. */
export function commandLineMatches(current: string, record: Pick<ChildRecord, 'cmdline' | 'cmdlineMarker'>): boolean {
  if (current === record.cmdline) return true;
  return record.cmdlineMarker !== undefined && record.cmdlineMarker !== '' && current.includes(record.cmdlineMarker);
}

/**
 * `<root>/<scenario>/<timestamp>/` directories whose process list changed after `since` and whose
 * results are missing (the harness died before its verdict) or younger than `resultsAfter`. Cheap:
 * two directory levels and a stat or two per run, no file read unless it qualifies.
 */
export function recentRunDirs(runsRoot: string, since: number, resultsAfter: number): string[] {
  const dirs: string[] = [];
  for (const group of subdirectories(runsRoot)) {
    for (const runDir of subdirectories(group)) {
      const listed = mtimeOf(join(runDir, PROCESSES_FILE));
      if (listed === undefined || listed < since) continue;
      const judged = mtimeOf(join(runDir, RESULTS_FILE));
      if (judged !== undefined && judged < resultsAfter) continue;
      dirs.push(runDir);
    }
  }
  return dirs;
}

/** Every well-formed line; a harness killed mid-append leaves a torn last line, which proves nothing. */
export function parseRecords(text: string): ChildRecord[] {
  const records: ChildRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = JSON.parse(line) as Partial<ChildRecord>;
      if (Number.isInteger(parsed.pid) && (parsed.pid as number) > 1 && typeof parsed.label === 'string')
        records.push(parsed as ChildRecord);
    } catch {
      // torn line
    }
  }
  return records;
}

function readRecords(file: string): ChildRecord[] {
  try {
    return parseRecords(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
}

function subdirectories(dir: string): string[] {
  try {
    // Dirent.isDirectory() is false for a symlink: `runs/latest` is not walked twice.
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(dir, entry.name));
  } catch {
    return [];
  }
}

function mtimeOf(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function signalQuietly(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // gone since we looked
  }
}
