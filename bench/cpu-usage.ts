import { cpus } from 'node:os';
import { descendantPids, machineCpu, processCpuMs } from '../harness/env/proc-info.ts';

// CPU per order by process kind: every process the bench runs is read from /proc (user + system
// time) when a step's load starts and again when its drain ends; the bench itself, which also runs
// the proxy in-process, reads its own with process.cpuUsage().

/** The kind the bench's own process is counted under: the load generator, the in-process proxy, history reading and the ledger. */
export const HARNESS_KIND = 'harness';

export interface CpuSubject {
  /** Process kind: a system role (`api`, `payments`...), `broker`, `prometheus`. */
  kind: string;
  pid: number;
  /** Count its descendants too (the Erlang VM's port programs). */
  withChildren?: boolean;
}

export interface CpuSnapshot {
  /** performance.now() when taken. */
  at: number;
  /** CPU ms so far per subject PID (descendants folded in); a PID that is gone is missing. */
  byPid: Map<number, { kind: string; ms: number }>;
  harnessMs: number;
  machine: { busyMs: number; totalMs: number } | undefined;
}

export function takeCpuSnapshot(subjects: readonly CpuSubject[]): CpuSnapshot {
  const byPid = new Map<number, { kind: string; ms: number }>();
  for (const s of subjects) {
    const own = processCpuMs(s.pid);
    if (own === undefined) continue;
    const children = s.withChildren ? descendantPids(s.pid).reduce((n, pid) => n + (processCpuMs(pid) ?? 0), 0) : 0;
    byPid.set(s.pid, { kind: s.kind, ms: own + children });
  }
  const usage = process.cpuUsage();
  return { at: performance.now(), byPid, harnessMs: (usage.user + usage.system) / 1000, machine: machineCpu() };
}

export interface KindCpu {
  kind: string;
  processes: number;
  cpuMs: number;
  /** CPU ms per accepted order of the step. */
  msPerOrder: number | null;
  /** Average cores busy over the window. */
  cores: number;
}

export interface CpuFigures {
  windowSeconds: number;
  /** Heaviest first. */
  kinds: KindCpu[];
  /** Sum over the kinds (the bench's own process included). */
  totalMs: number;
  msPerOrder: number | null;
  /** The bench's own process (generator, in-process proxy, history reading) as a fraction of totalMs. */
  harnessShare: number | null;
  /** The machine's busy cores over the window (/proc/stat), whoever used them, and how many it has. */
  machineBusyCores: number | null;
  machineCores: number;
  /** Machine CPU no sampled process accounts for (other work on the machine, the kernel, processes that died), ms. */
  unaccountedMs: number | null;
  /** Subjects that vanished between the two snapshots (restarted or died): their CPU is not counted. */
  missing: number;
}

/** What each kind used between two snapshots, per accepted order. */
export function cpuBetween(start: CpuSnapshot, end: CpuSnapshot, acceptedOrders: number, cores = cpus().length): CpuFigures {
  const windowMs = Math.max(1, end.at - start.at);
  const perKind = new Map<string, { processes: number; ms: number }>();
  let missing = 0;
  for (const [pid, before] of start.byPid) {
    const after = end.byPid.get(pid);
    if (!after) {
      missing++;
      continue;
    }
    const k = perKind.get(before.kind) ?? { processes: 0, ms: 0 };
    k.processes++;
    k.ms += Math.max(0, after.ms - before.ms);
    perKind.set(before.kind, k);
  }
  perKind.set(HARNESS_KIND, { processes: 1, ms: Math.max(0, end.harnessMs - start.harnessMs) });
  return cpuFigures(perKind, windowMs, acceptedOrders, cores, missing, machineBusyMs(start, end));
}

/** Pure: the figures from CPU ms per kind over a window. */
export function cpuFigures(
  perKind: ReadonlyMap<string, { processes: number; ms: number }>,
  windowMs: number,
  acceptedOrders: number,
  cores: number,
  missing = 0,
  machineBusy: number | null = null,
): CpuFigures {
  const perOrder = (ms: number) => (acceptedOrders > 0 ? ms / acceptedOrders : null);
  const kinds = [...perKind].map(([kind, { processes, ms }]) => ({
    kind,
    processes,
    cpuMs: ms,
    msPerOrder: perOrder(ms),
    cores: ms / windowMs,
  }));
  kinds.sort((a, b) => b.cpuMs - a.cpuMs);
  const totalMs = kinds.reduce((n, k) => n + k.cpuMs, 0);
  const harness = perKind.get(HARNESS_KIND)?.ms ?? 0;
  return {
    windowSeconds: windowMs / 1000,
    kinds,
    totalMs,
    msPerOrder: perOrder(totalMs),
    harnessShare: totalMs > 0 ? harness / totalMs : null,
    machineBusyCores: machineBusy === null ? null : machineBusy / windowMs,
    machineCores: cores,
    unaccountedMs: machineBusy === null ? null : Math.max(0, machineBusy - totalMs),
    missing,
  };
}

function machineBusyMs(start: CpuSnapshot, end: CpuSnapshot): number | null {
  if (!start.machine || !end.machine) return null;
  return Math.max(0, end.machine.busyMs - start.machine.busyMs);
}
