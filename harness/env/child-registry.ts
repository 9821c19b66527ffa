import type { ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { processIdentity } from './proc-info.ts';

/**
 * Every OS process the harness starts is registered here by PID, so that whatever way the harness
 * ends (success, failure, timeout, SIGINT, SIGTERM, an uncaught error) it can stop them all by
 * PID. Never by name: another RabbitMQ runs on this machine and is not ours.
 */

export interface ChildOptions {
  /** The child leads its own process group (spawned detached): stop the whole group, not only its PID. */
  group?: boolean;
  /**
   * For a child that execs another program (the broker's script execs the Erlang VM, whose
   * command line differs): a string its command line holds once it runs for real.
   */
  commandLineMarker?: string;
}

/** Every process a run started, in its run directory: written by recordRunChildren, read by orphan-reaper.ts. */
export const PROCESSES_FILE = 'processes.jsonl';

/** One line of `processes.jsonl`: enough to find the process again and be sure it is still the same one. */
export interface ChildRecord {
  pid: number;
  label: string;
  t: number;
  /** See ProcessIdentity.startTime; absent without /proc. */
  startTime?: number;
  /** Its command line when it was registered. */
  cmdline?: string;
  cmdlineMarker?: string;
  group?: true;
  /** The harness that started it: while that process lives, its run is not over and nobody may reap it. */
  harness: { pid: number; startTime?: number };
}

const live = new Map<number, { child: ChildProcess; label: string; group: boolean }>();
const listeners = new Set<(pid: number, label: string, record: ChildRecord) => void>();
let hooksInstalled = false;

export function registerChild(child: ChildProcess, label: string, options: ChildOptions = {}): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  live.set(pid, { child, label, group: options.group === true });
  child.once('exit', () => live.delete(pid));
  installHooks();
  const record = recordOf(pid, label, options);
  for (const listener of listeners) listener(pid, label, record);
}

/** Hears of every process started from now on (a run records them in `processes.jsonl`). */
function onChildStarted(listener: (pid: number, label: string, record: ChildRecord) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/**
 * Appends every process started from now on to `file` (a run's `processes.jsonl`), one JSON line
 * each, as it starts: what a later harness reads to reap what this one left behind (orphan-reaper.ts).
 */
export function recordChildren(file: string): () => void {
  return onChildStarted((_pid, _label, record) => appendFileSync(file, JSON.stringify(record) + '\n'));
}

/** recordChildren into `<runDir>/processes.jsonl`, where the next harness looks for orphans: what every run and bench does. */
export function recordRunChildren(runDir: string): () => void {
  return recordChildren(join(runDir, PROCESSES_FILE));
}

export function liveChildren(): { pid: number; label: string }[] {
  return [...live.entries()].map(([pid, { label }]) => ({ pid, label }));
}

/** Last resort, synchronous: SIGKILL everything still alive (used on process exit). */
export function killAllChildrenNow(): void {
  for (const [pid, { group }] of live) {
    if (group) signalQuietly(-pid);
    signalQuietly(pid);
  }
}

function signalQuietly(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // already gone
  }
}

let ownIdentity: ChildRecord['harness'] | undefined;

function recordOf(pid: number, label: string, options: ChildOptions): ChildRecord {
  // libuv returns from spawn once the child has exec'd, so /proc already shows the new program.
  const identity = processIdentity(pid);
  ownIdentity ??= { pid: process.pid, ...optional('startTime', processIdentity(process.pid)?.startTime) };
  return {
    pid,
    label,
    t: Date.now(),
    ...optional('startTime', identity?.startTime),
    ...optional('cmdline', identity?.cmdline),
    ...optional('cmdlineMarker', options.commandLineMarker),
    ...(options.group ? { group: true as const } : {}),
    harness: ownIdentity,
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllChildrenNow);
}
