import { readFileSync } from 'node:fs';

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

/** Parses the text of /proc/<pid>/stat; undefined when it is not what the kernel writes. */
export function parseStat(text: string): { state: string; pgrp: number; startTime: number } | undefined {
  // "pid (comm) state ppid pgrp ...": comm may itself hold spaces and parentheses, so split after the last ')'.
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = text
    .slice(close + 2)
    .trim()
    .split(' ');
  // fields[0] is field 3 of the man page, so field n sits at index n - 3.
  const state = fields[0];
  const pgrp = Number(fields[5 - 3]);
  const startTime = Number(fields[22 - 3]);
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
