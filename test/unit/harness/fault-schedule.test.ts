import { describe, expect, it } from 'vitest';
import type { Fault, FaultEnv } from '../../../chaos/fault.ts';
import { FaultSchedule } from '../../../harness/runner/fault-schedule.ts';
import { HistoryWriter } from '../../../system/history/history-writer.ts';
import { readHistory } from '../../../harness/history/read-history.ts';
import { tempDir } from '../../support/temp-dir.ts';

/** A fault that only records when it started and healed; `startMs` makes its start slow, like a broker stop. */
function fake(name: string, log: string[], startMs = 0): Fault {
  return {
    name,
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

describe('fault schedule', () => {
  it('starts each fault at its time, heals it after its duration, and records both in the history', async () => {
    const dir = tempDir('schedule');
    const history = new HistoryWriter(`${dir.path}/harness.jsonl`, 'harness');
    const log: string[] = [];
    const schedule = new FaultSchedule([{ at: 0.05, duration: 0.05, fault: fake('a', log) }], env, history);
    schedule.begin();
    expect(schedule.active).toEqual([]);
    await new Promise((r) => setTimeout(r, 75));
    expect(schedule.active).toEqual(['a']);
    await schedule.finished();
    expect(log).toEqual(['a start', 'a started', 'a healed']);
    history.close();
    expect(readHistory(dir.path).map((e) => (e.kind === 'fault' ? `${e.name} ${e.phase}` : e.kind))).toEqual(['a start', 'a stop']);
    dir.remove();
  });

  it('lets a fault planned after another one wait until that one has healed, even when its start ran long', async () => {
    const dir = tempDir('schedule');
    const history = new HistoryWriter(`${dir.path}/harness.jsonl`, 'harness');
    const log: string[] = [];
    const schedule = new FaultSchedule(
      [
        { at: 0, duration: 0.02, fault: fake('slow', log, 150) },
        { at: 0.05, duration: 0.02, fault: fake('next', log) },
      ],
      env,
      history,
    );
    schedule.begin();
    await schedule.finished();
    expect(log).toEqual(['slow start', 'slow started', 'slow healed', 'next start', 'next started', 'next healed']);
    history.close();
    dir.remove();
  });

  it('heals an active fault when told to, waiting for its start to finish first, and cancels the rest', async () => {
    const dir = tempDir('schedule');
    const history = new HistoryWriter(`${dir.path}/harness.jsonl`, 'harness');
    const log: string[] = [];
    const schedule = new FaultSchedule(
      [
        { at: 0, duration: 10, fault: fake('long', log, 50) },
        { at: 5, duration: 1, fault: fake('never', log) },
      ],
      env,
      history,
    );
    schedule.begin();
    await new Promise((r) => setTimeout(r, 10));
    await schedule.healAll();
    expect(log).toEqual(['long start', 'long started', 'long healed']);
    expect(schedule.active).toEqual([]);
    await schedule.finished();
    history.close();
    dir.remove();
  });
});
