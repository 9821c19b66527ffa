import { describe, expect, it } from 'vitest';
import type { Fault, FaultEnv } from '../../../chaos/fault.ts';
import { faultCheck } from '../../../harness/runner/fault-check.ts';
import { FaultSchedule } from '../../../harness/runner/fault-schedule.ts';
import { HistoryWriter } from '../../../instrument/history-writer.ts';
import { readHistory } from '../../../harness/history/read-history.ts';
import { tempDir } from '../../support/temp-dir.ts';

/** A fault that only records when it started and healed; `startMs` makes its start slow, like a broker stop. */
function fake(name: string, log: string[], startMs = 0): Fault {
  return {
    name,
    traits: [],
    description: `fake ${name}`,
    start: async () => {
      log.push(`${name} start`);
      await new Promise((r) => setTimeout(r, startMs));
      log.push(`${name} started`);
    },
    stop: async () => {
      log.push(`${name} healed`);
    },
  };
}

const env = { log: () => {} } as unknown as FaultEnv;

/** A schedule writing to a harness history in a fresh temporary folder; `dispose` closes and removes it. */
function scheduleOf(items: ConstructorParameters<typeof FaultSchedule>[0]) {
  const dir = tempDir('schedule');
  const history = new HistoryWriter(`${dir.path}/harness.jsonl`, 'harness');
  return {
    schedule: new FaultSchedule(items, env, history),
    events: () => {
      history.close();
      return readHistory(dir.path);
    },
    dispose: () => {
      history.close();
      dir.remove();
    },
  };
}

describe('fault schedule', () => {
  it('starts each fault at its time, heals it after its duration, and records both in the history', async () => {
    const log: string[] = [];
    const { schedule, events, dispose } = scheduleOf([{ at: 0.05, duration: 0.05, fault: fake('a', log) }]);
    schedule.begin();
    expect(schedule.active).toEqual([]);
    await new Promise((r) => setTimeout(r, 75));
    expect(schedule.active).toEqual(['a']);
    await schedule.finished();
    expect(log).toEqual(['a start', 'a started', 'a healed']);
    expect(events().map((e) => (e.kind === 'fault' ? `${e.name} ${e.phase}` : e.kind))).toEqual([
      'a start',
      'a in-effect',
      'a healing',
      'a stop',
    ]);
    dispose();
  });

  it('lets a fault planned after another one wait until that one has healed, even when its start ran long', async () => {
    const log: string[] = [];
    const { schedule, dispose } = scheduleOf([
      { at: 0, duration: 0.02, fault: fake('slow', log, 150) },
      { at: 0.05, duration: 0.02, fault: fake('next', log) },
    ]);
    schedule.begin();
    await schedule.finished();
    expect(log).toEqual(['slow start', 'slow started', 'slow healed', 'next start', 'next started', 'next healed']);
    dispose();
  });

  it('heals an active fault when told to, waiting for its start to finish first, and cancels the rest', async () => {
    const log: string[] = [];
    const { schedule, dispose } = scheduleOf([
      { at: 0, duration: 10, fault: fake('long', log, 50) },
      { at: 5, duration: 1, fault: fake('never', log) },
    ]);
    schedule.begin();
    await new Promise((r) => setTimeout(r, 10));
    await schedule.healAll();
    expect(log).toEqual(['long start', 'long started', 'long healed']);
    expect(schedule.active).toEqual([]);
    await schedule.finished();
    dispose();
  });

  it("counts a fault's duration from when its start finished, and records when it started, took effect and healed", async () => {
    const log: string[] = [];
    const { schedule, dispose } = scheduleOf([{ at: 0, duration: 0.1, fault: fake('slow-start', log, 150) }]);
    schedule.begin();
    await schedule.finished();
    const [applied] = schedule.applied();
    expect(applied!.inEffectAt! - applied!.startedAt!).toBeGreaterThanOrEqual(0.14);
    // In effect for its whole duration, not duration minus the 150 ms its start took.
    expect(applied!.healedAt! - applied!.inEffectAt!).toBeGreaterThanOrEqual(0.099);
    const check = faultCheck(schedule.applied());
    expect(check.valid).toBe(true);
    expect(check.summary).toMatch(/slow-start 0\.1 s/);
    dispose();
  });

  it('begins a slow heal early by what it takes, so the fault ends when planned, but never before it took effect', async () => {
    const log: string[] = [];
    /** Like a broker restart: its heal takes 300 ms to take effect (a boot), and says so. */
    const slowHeal = (name: string): Fault => ({
      ...fake(name, log),
      stop: async () => {
        await new Promise((r) => setTimeout(r, 300));
        log.push(`${name} healed`);
      },
      healLeadSeconds: () => 0.3,
    });
    const { schedule, dispose } = scheduleOf([
      { at: 0, duration: 1, fault: slowHeal('long') },
      { at: 0, duration: 0.1, fault: slowHeal('short') },
    ]);
    schedule.begin();
    await schedule.finished();
    const [long, short] = schedule.applied();
    // Healed at its planned end (1 s), not a heal later (1.3 s).
    expect(long!.healedAt! - long!.inEffectAt!).toBeGreaterThanOrEqual(0.99);
    expect(long!.healedAt! - long!.inEffectAt!).toBeLessThan(1.2);
    // A lead longer than the fault: the heal begins once it is in effect, and ends a heal later.
    expect(short!.healedAt! - short!.inEffectAt!).toBeGreaterThanOrEqual(0.29);
    dispose();
  });

  it('waits, when told to heal everything, for a heal already under way, so its end is recorded before the run closes', async () => {
    const log: string[] = [];
    const slowHeal: Fault = {
      ...fake('restart', log),
      stop: async () => {
        await new Promise((r) => setTimeout(r, 200));
        log.push('restart healed');
      },
      healLeadSeconds: () => 10,
    };
    const { schedule, events, dispose } = scheduleOf([{ at: 0, duration: 1, fault: slowHeal }]);
    schedule.begin();
    // The heal begins as soon as the fault is in effect (its lead is longer than the fault); interrupt it half-way.
    await new Promise((r) => setTimeout(r, 100));
    await schedule.healAll();
    expect(log).toEqual(['restart start', 'restart started', 'restart healed']);
    expect(events().map((e) => (e.kind === 'fault' ? `${e.name} ${e.phase}` : e.kind))).toEqual([
      'restart start',
      'restart in-effect',
      'restart healing',
      'restart stop',
    ]);
    dispose();
  });

  it('heals at once a fault whose start failed, and the faults check calls such a run unknown', async () => {
    const log: string[] = [];
    const broken: Fault = { ...fake('alarm', log), start: () => Promise.reject(new Error('rabbitmqctl timed out')) };
    const { schedule, dispose } = scheduleOf([{ at: 0, duration: 10, fault: broken }]);
    schedule.begin();
    const t = performance.now();
    await schedule.finished();
    expect(performance.now() - t).toBeLessThan(1_000);
    expect(log).toEqual(['alarm healed']);
    const check = faultCheck(schedule.applied());
    expect(check.valid).toBe('unknown');
    expect(check.summary).toBe('the run did not test what it claims: alarm failed to start: rabbitmqctl timed out');
    dispose();
  });
});

describe('faults check', () => {
  const base = { name: 'broker-kill', plannedAt: 8, plannedDuration: 2 };

  it('is valid when every fault started, took effect and healed, and shows planned against actual times', () => {
    const check = faultCheck([{ ...base, startedAt: 8, inEffectAt: 8.2, healedAt: 15.4 }]);
    expect(check.valid).toBe(true);
    expect(check.table!.rows).toEqual([['broker-kill', 8, 2, 8, 8.2, 15.4, 7.2]]);
  });

  it('is unknown for a fault that failed to heal, never started, or was never healed', () => {
    expect(faultCheck([{ ...base, startedAt: 8, inEffectAt: 8.2, healedAt: 20, healError: 'boot timed out' }]).summary).toMatch(
      /broker-kill failed to heal: boot timed out/,
    );
    expect(faultCheck([base]).valid).toBe('unknown');
    expect(faultCheck([base]).summary).toMatch(/broker-kill never started/);
    expect(faultCheck([{ ...base, startedAt: 8, inEffectAt: 8.2 }]).summary).toMatch(/broker-kill was never healed/);
  });
});
