import { readdirSync, readFileSync } from 'node:fs';

/**
 * What /proc says about one process, enough to be sure a PID still names the process we started:
 * PIDs are reused, but a PID together with its start time names one process for the life of the
 * machine. Linux only; elsewhere every reader answers undefined and callers must not act.
 */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/<pid>/stat: clock ticks since boot when the process started. */
  startTime: number;
  /** Process group (field 5). */
  pgrp: number;
  /** Field 3: R, S, D, T (stopped), Z (zombie)... */
  state: string;
  /** Arguments joined by single spaces. */
  cmdline: string;
}

/**
 * The fields of /proc/<pid>/stat text, `field(n)` being field n of proc(5); undefined when it is not
 * what the kernel writes.
 */
function statFields(text: string): ((n: number) => string | undefined) | undefined {
  // "pid (comm) state ppid pgrp ...": comm may itself hold spaces and parentheses, so split after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // fields[0] is field 3 of the man page, so field n sits at index n - 3.
  return (n) => fields[n - 3];
}

/** Parses the text of /proc/<pid>/stat; undefined when it is not what the kernel writes. */
export function parseStat(text: string): { state: string; pgrp: number; startTime: number } | undefined {
  const field = statFields(text);
  if (!field) return undefined;
  const state = field(3);
  const pgrp = Number(field(5));
  const startTime = Number(field(22));
  if (!state || !Number.isInteger(pgrp) || !Number.isInteger(startTime)) return undefined;
  return { state, pgrp, startTime };
}

/** /proc/<pid>/cmdline holds the arguments, each ended by a NUL. */
export function parseCmdline(raw: string): string {
  return (raw.endsWith('\0') ? raw.slice(0, -1) : raw).replaceAll('\0', ' ');
}

export function processIdentity(pid: number): ProcessIdentity | undefined {
  try {
    const stat = parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    if (!stat) return undefined;
    return { pid, ...stat, cmdline: parseCmdline(readFileSync(`/proc/${pid}/cmdline`, 'utf8')) };
  } catch {
    return undefined;
  }
}

/** When the machine booted (ms since the epoch), from /proc/stat's btime; undefined without /proc. */
export function bootTimeMs(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('btime '));
    const seconds = Number(line?.slice('btime '.length));
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Clock ticks per second in /proc's time fields (USER_HZ). Linux exposes 100 to user space on
 * every architecture Node runs on, whatever the kernel's internal HZ.
 */
export const PROC_TICKS_PER_SECOND = 100;

/** CPU time (user + system, fields 14 and 15) in ms, and the parent PID (field 4), from /proc/<pid>/stat text. */
export function parseCpuStat(text: string): { ppid: number; cpuMs: number } | undefined {
  const field = statFields(text);
  if (!field) return undefined;
  const ppid = Number(field(4));
  const utime = Number(field(14));
  const stime = Number(field(15));
  if (!Number.isInteger(ppid) || !Number.isInteger(utime) || !Number.isInteger(stime)) return undefined;
  return { ppid, cpuMs: ((utime + stime) * 1000) / PROC_TICKS_PER_SECOND };
}

/** CPU time the process has used so far (user + system, its own threads; not its children), in ms; undefined when it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    return parseCpuStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.cpuMs;
  } catch {
    return undefined;
  }
}

/** Every live descendant of `pid` (children, their children...), found by walking /proc's parent PIDs. */
export function descendantPids(pid: number): number[] {
  const parentOf = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of entries) {
    const child = Number(name);
    if (!Number.isInteger(child) || child <= 0) continue;
    try {
      const stat = parseCpuStat(readFileSync(`/proc/${name}/stat`, 'utf8'));
      if (stat) parentOf.set(child, stat.ppid);
    } catch {
      // gone between the listing and the read
    }
  }
  const found: number[] = [];
  const frontier = [pid];
  while (frontier.length) {
    const parent = frontier.pop()!;
    for (const [child, ppid] of parentOf)
      if (ppid === parent) {
        found.push(child);
        frontier.push(child);
      }
  }
  return found;
}

/** The whole machine's CPU time from /proc/stat's first line: busy (all but idle and iowait) and total, in ms. */
export function parseMachineCpu(text: string): { busyMs: number; totalMs: number } | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (ticks.length < 5 || ticks.some((n) => !Number.isFinite(n))) return undefined;
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = ticks[3]! + ticks[4]!;
  const toMs = (t: number) => (t * 1000) / PROC_TICKS_PER_SECOND;
  return { busyMs: toMs(total - idle), totalMs: toMs(total) };
}

export function machineCpu(): { busyMs: number; totalMs: number } | undefined {
  try {
    return parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}
