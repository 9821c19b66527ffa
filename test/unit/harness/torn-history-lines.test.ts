import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryTail, malformedHistoryCheck, readRunHistory } from '../../../harness/history/read-history.ts';
import { HistoryWriter } from '../../../instrument/history-writer.ts';
import { runCheckCli } from '../../support/scenario-cli.ts';
import { tempDir } from '../../support/temp-dir.ts';

// A process SIGKILLed in the middle of write(2) leaves a line without its newline. The restarted
// process must not glue its first event to it, and the reader must count it, wherever it ends up.
const dir = tempDir('torn-history');
afterAll(() => dir.remove());

let n = 0;
/** A fresh history directory holding one file with `content`, written by hand. */
function historyDir(content: string): { dir: string; file: string } {
  const history = join(dir.path, `case-${++n}`, 'history');
  mkdirSync(history, { recursive: true });
  const file = join(history, 'payments-1.jsonl');
  writeFileSync(file, content);
  return { dir: history, file };
}

const line = (t: number, event: string) => JSON.stringify({ t, proc: 'payments-1', kind: 'lifecycle', event }) + '\n';
/** The first 25 bytes of an event: what a kill mid-write leaves behind. */
const TORN = line(2, 'ready').slice(0, 25);

describe('a torn history line', () => {
  it('followed by an append from a new writer: 2 events, 1 malformed line, nothing merged', () => {
    const { dir: history, file } = historyDir(line(1, 'start') + TORN);
    const restarted = new HistoryWriter(file, 'payments-1');
    restarted.append({ kind: 'lifecycle', event: 'start', detail: 'after the kill' });
    restarted.close();

    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toBe(TORN);
    expect(JSON.parse(lines[2]!)).toMatchObject({ kind: 'lifecycle', event: 'start', detail: 'after the kill' });
    expect(lines[3]).toBe('');

    const { events, malformedLines } = readRunHistory(history);
    expect(events.map((e) => (e as { event: string }).event)).toEqual(['start', 'start']);
    expect(events[1]).toMatchObject({ detail: 'after the kill' });
    expect(malformedLines).toBe(1);
  });

  it('left last in its file counts as malformed once the run is over, not while it may still be being written', () => {
    const { dir: history } = historyDir(line(1, 'start') + TORN);
    const tail = new HistoryTail(history);
    expect(tail.readNew()).toHaveLength(1);
    expect(tail.malformedLines).toBe(0);
    expect(tail.finish()).toEqual([]);
    expect(tail.malformedLines).toBe(1);

    expect(readRunHistory(history)).toMatchObject({ events: [{ event: 'start' }], malformedLines: 1 });
  });

  it('cut inside a multi-byte character still counts once', () => {
    const full = JSON.stringify({ t: 2, proc: 'payments-1', kind: 'lifecycle', event: 'ready', detail: 'café' });
    const bytes = Buffer.from(full, 'utf8');
    const cut = bytes.subarray(0, bytes.indexOf(Buffer.from('é', 'utf8')) + 1);
    const { dir: history, file } = historyDir(line(1, 'start'));
    appendFileSync(file, cut);
    expect(readRunHistory(history)).toMatchObject({ events: [{ event: 'start' }], malformedLines: 1 });
  });

  it('that is whole JSON short only of its newline is an event, as it would be once a new writer ended it', () => {
    const { dir: history } = historyDir(line(1, 'start') + line(2, 'ready').trimEnd());
    expect(readRunHistory(history)).toMatchObject({ events: [{ event: 'start' }, { event: 'ready' }], malformedLines: 0 });
  });

  it('a writer reopening a file that ends cleanly (or is empty) adds no blank line', () => {
    const { dir: history, file } = historyDir(line(1, 'start'));
    new HistoryWriter(file, 'payments-1').close();
    const again = new HistoryWriter(file, 'payments-1');
    again.append({ kind: 'lifecycle', event: 'ready' });
    again.close();
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0] + '\n').toBe(line(1, 'start'));
    expect(JSON.parse(lines[1]!)).toMatchObject({ event: 'ready' });
    expect(readRunHistory(history).malformedLines).toBe(0);

    const empty = join(history, 'empty.jsonl');
    new HistoryWriter(empty, 'x').close();
    expect(readFileSync(empty, 'utf8')).toBe('');
  });

  it('makes the history check unknown, saying how many lines', () => {
    expect(malformedHistoryCheck(0)).toBeUndefined();
    expect(malformedHistoryCheck(3)).toEqual({ valid: 'unknown', summary: '3 history lines could not be parsed' });
  });
});

describe('npm run check on a run with a torn line', () => {
  /** A stored run as `npm run scenario` leaves it, minus everything the checks do not need. */
  function storedRun(history: string): string {
    const runDir = join(dir.path, `run-${++n}`);
    mkdirSync(join(runDir, 'history'), { recursive: true });
    writeFileSync(join(runDir, 'history', 'harness.jsonl'), history);
    const results = {
      scenario: 'broker-restart',
      startedAt: new Date(0).toISOString(),
      options: { rate: 10, duration: 1, seed: 1, flaws: [] },
      system: {},
    };
    writeFileSync(join(runDir, 'results.json'), JSON.stringify(results));
    return runDir;
  }

  it('keeps the history check the run had', async () => {
    const torn = await runCheckCli(storedRun(line(1, 'start') + TORN));
    expect(torn.stdout).toMatch(/\bhistory\b.*\bunknown\b.*1 history lines could not be parsed/i);
    expect(torn.code).not.toBe(0);

    const whole = await runCheckCli(storedRun(line(1, 'start')));
    expect(whole.stdout).not.toMatch(/history lines could not be parsed/);
  });

  it('refuses a results.json of the wrong shape with exit 2, naming the field and what was expected', async () => {
    const runDir = storedRun(line(1, 'start'));
    const results = JSON.parse(readFileSync(join(runDir, 'results.json'), 'utf8'));
    writeFileSync(join(runDir, 'results.json'), JSON.stringify({ ...results, options: { ...results.options, clientRetries: -1 } }));
    const bad = await runCheckCli(runDir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/results\.json is not a run the checkers can read: options\.clientRetries: .*>=\s*0/);
  });
});
