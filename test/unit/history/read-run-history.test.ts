import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeByTime } from '../../../harness/history/merge-by-time.ts';
import { HistoryTail, readRunHistory } from '../../../harness/history/read-history.ts';
import type { HistoryEvent } from '../../../instrument/history-event.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('read-run-history');
afterAll(() => dir.remove());

const ev = (t: number, proc: string, n: number): HistoryEvent => ({ t, proc, kind: 'lifecycle', event: 'ready', detail: `${proc}#${n}` });
const details = (events: readonly HistoryEvent[]) => events.map((e) => (e as { detail?: string }).detail);

describe('readRunHistory merges the files instead of sorting them', () => {
  it('gives the order of a stable sort of every file concatenated: equal times keep file order, then line order', () => {
    const history = join(dir.path, 'ties', 'history');
    mkdirSync(history, { recursive: true });
    const files: Record<string, HistoryEvent[]> = {
      'a.jsonl': [ev(1, 'a', 1), ev(2, 'a', 2), ev(2, 'a', 3), ev(5, 'a', 4)],
      'b.jsonl': [ev(0.5, 'b', 1), ev(2, 'b', 2), ev(5, 'b', 3)],
      // A process whose clock stepped back: not in time order on its own.
      'c.jsonl': [ev(3, 'c', 1), ev(2, 'c', 2), ev(2, 'c', 3), ev(1, 'c', 4)],
    };
    for (const [name, events] of Object.entries(files))
      writeFileSync(join(history, name), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    // A last line without its newline that is complete JSON counts, after every file's complete lines.
    writeFileSync(join(history, 'd.jsonl'), JSON.stringify(ev(2, 'd', 1)));

    const expected = [...Object.values(files).flat(), ev(2, 'd', 1)].sort((x, y) => x.t - y.t);
    const { events, malformedLines } = readRunHistory(history);
    expect(malformedLines).toBe(0);
    expect(details(events)).toEqual(details(expected));
    expect(events).toEqual(expected);
  });

  it('mergeByTime equals a stable sort on random runs', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const runs = Array.from({ length: 6 }, (_, r) => {
      let t = 0;
      return Array.from({ length: 200 }, (_, n) => ev((t += Math.floor(random() * 3)), `p${r}`, n));
    });
    const expected = runs.flat().sort((x, y) => x.t - y.t);
    expect(details(mergeByTime(runs.map((r) => [...r])))).toEqual(details(expected));
  });

  it('shares one copy of each repeated string, keeping every event as written', () => {
    const history = join(dir.path, 'shared', 'history');
    mkdirSync(history, { recursive: true });
    const deliver = {
      t: 1,
      proc: 'p-1',
      kind: 'deliver',
      id: 'm:1',
      orderId: 'o',
      queue: 'q',
      consumer: 'p-1',
      deliveryTag: 1,
      redelivered: false,
      channel: 1,
    };
    const ack = { t: 2, proc: 'p-1', kind: 'ack', id: 'm:1', queue: 'q', consumer: 'p-1', deliveryTag: 1, channel: 1 };
    writeFileSync(join(history, 'p-1.jsonl'), `${JSON.stringify(deliver)}\n${JSON.stringify(ack)}\n3\n`);
    const tail = new HistoryTail(history);
    const events = tail.finish();
    expect(events).toEqual([deliver, ack, 3]);
    expect(Object.keys(events[1]!)).toEqual(Object.keys(ack));
  });

  it('decodes a multi-byte character whose bytes arrive in two reads, and a line that is still being written waits', () => {
    const history = join(dir.path, 'utf8', 'history');
    mkdirSync(history, { recursive: true });
    const file = join(history, 'p-1.jsonl');
    const line = Buffer.from(JSON.stringify(ev(1, 'p-1', 1)).replace('p-1#1', 'p-1 € ok') + '\n');
    const cut = line.indexOf(Buffer.from('€')) + 1;
    writeFileSync(file, line.subarray(0, cut));
    const tail = new HistoryTail(history);
    expect(tail.readNew()).toEqual([]);
    appendFileSync(file, line.subarray(cut));
    expect(details(tail.readNew())).toEqual(['p-1 € ok']);
    expect(tail.finish()).toEqual([]);
    expect(tail.malformedLines).toBe(0);
  });
});
