import { describe, expect, it } from 'vitest';
import { cpuBetween, cpuFigures, HARNESS_KIND, takeCpuSnapshot, type CpuSnapshot } from '../../../bench/cpu-usage.ts';
import { descendantPids, parseCpuStat, parseMachineCpu, processCpuMs } from '../../../harness/env/proc-info.ts';

describe('parseCpuStat', () => {
  it('reads utime + stime (fields 14, 15, in ticks of 10 ms) and the parent PID, past a comm with spaces and parentheses', () => {
    const stat = '4242 (node (a b)) S 17 4242 4242 0 -1 4194560 1 0 0 0 250 31 0 0 20 0 11 0 123456 1 1';
    expect(parseCpuStat(stat)).toEqual({ ppid: 17, cpuMs: 2_810 });
    expect(parseCpuStat('garbage')).toBeUndefined();
  });
});

describe('parseMachineCpu', () => {
  it('counts everything but idle and iowait as busy', () => {
    expect(parseMachineCpu('cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n')).toEqual({ busyMs: 1_600, totalMs: 9_800 });
    expect(parseMachineCpu('intr 1 2 3')).toBeUndefined();
  });
});

describe('this process in /proc', () => {
  it.runIf(process.platform === 'linux')('has CPU time and is a descendant of its parent', () => {
    expect(processCpuMs(process.pid)).toBeGreaterThan(0);
    expect(descendantPids(process.ppid)).toContain(process.pid);
    expect(processCpuMs(2 ** 22 + 12_345)).toBeUndefined();
  });
});

describe('cpuFigures', () => {
  it('gives CPU ms per accepted order by kind, heaviest first, the cores each used and the harness share', () => {
    const f = cpuFigures(
      new Map([
        ['payments', { processes: 2, ms: 4_000 }],
        ['broker', { processes: 1, ms: 6_000 }],
        [HARNESS_KIND, { processes: 1, ms: 500 }],
      ]),
      10_000,
      2_000,
      2,
      0,
      12_000,
    );
    expect(f.kinds.map((k) => [k.kind, k.msPerOrder, k.cores])).toEqual([
      ['broker', 3, 0.6],
      ['payments', 2, 0.4],
      [HARNESS_KIND, 0.25, 0.05],
    ]);
    expect(f).toMatchObject({
      windowSeconds: 10,
      totalMs: 10_500,
      msPerOrder: 5.25,
      machineBusyCores: 1.2,
      machineCores: 2,
      unaccountedMs: 1_500,
    });
    expect(f.harnessShare).toBeCloseTo(500 / 10_500);
  });

  it('has no per-order figures without accepted orders', () => {
    const f = cpuFigures(new Map([['api', { processes: 1, ms: 10 }]]), 1_000, 0, 2);
    expect(f.msPerOrder).toBeNull();
    expect(f.kinds[0]!.msPerOrder).toBeNull();
    expect(f.machineBusyCores).toBeNull();
  });
});

describe('cpuBetween', () => {
  it('adds up the processes of each kind, leaves out a process that vanished and counts the bench as harness', () => {
    const start: CpuSnapshot = {
      at: 0,
      byPid: new Map([
        [10, { kind: 'payments', ms: 100 }],
        [11, { kind: 'payments', ms: 200 }],
        [12, { kind: 'orders', ms: 50 }],
      ]),
      harnessMs: 1_000,
      machine: { busyMs: 0, totalMs: 0 },
    };
    const end: CpuSnapshot = {
      at: 2_000,
      byPid: new Map([
        [10, { kind: 'payments', ms: 400 }],
        [11, { kind: 'payments', ms: 500 }],
      ]),
      harnessMs: 1_100,
      machine: { busyMs: 1_000, totalMs: 4_000 },
    };
    const f = cpuBetween(start, end, 100, 2);
    expect(f.kinds.map((k) => [k.kind, k.processes, k.cpuMs])).toEqual([
      ['payments', 2, 600],
      [HARNESS_KIND, 1, 100],
    ]);
    expect(f.missing).toBe(1);
    expect(f.machineBusyCores).toBe(0.5);
  });

  it('samples real processes: this one', () => {
    const a = takeCpuSnapshot([{ kind: 'self', pid: process.pid }]);
    const b = takeCpuSnapshot([{ kind: 'self', pid: process.pid }]);
    expect(cpuBetween(a, b, 1).kinds.map((k) => k.kind)).toContain(HARNESS_KIND);
  });
});
