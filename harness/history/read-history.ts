import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '../../instrument/history-event.ts';
import type { CheckResult } from '../checkers/checker.ts';
import { mergeByTime } from './merge-by-time.ts';
import { StringPool } from './string-pool.ts';

const READ_CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

/**
 * Reads history files incrementally: each call returns the complete lines appended since the last
 * call, across every `*.jsonl` in the directory (new files included). A line being written at
 * this very moment is left for the next call. The drain phase polls this while the run goes on;
 * the checkers get the same stream at the end.
 */
export class HistoryTail {
  readonly #dir: string;
  readonly #offsets = new Map<string, number>();
  /**
   * Per file, in the order files were first read: the bytes after its last newline (a line being
   * written). Kept as bytes, so a multi-byte character split across two reads is decoded whole.
   */
  readonly #partial = new Map<string, Buffer>();
  readonly #strings = new StringPool();
  /**
   * Lines that were not valid JSON: a line torn by a process killed mid-write (the next writer of
   * that file starts on a fresh line, so it stays one line), or garbage. `finish()` adds the torn
   * last lines of files nobody will complete.
   */
  malformedLines = 0;

  constructor(dir: string) {
    this.#dir = dir;
  }

  readNew(): HistoryEvent[] {
    return this.#readNewByFile().flat();
  }

  /** What readNew returns, one array per file (each in its writer's order). */
  #readNewByFile(): HistoryEvent[][] {
    let files: string[];
    try {
      files = readdirSync(this.#dir)
        .filter((f) => f.endsWith('.jsonl'))
        .sort();
    } catch {
      return [];
    }
    return files.map((file) => {
      const events: HistoryEvent[] = [];
      this.#readFile(join(this.#dir, file), events);
      return events;
    });
  }

  #readFile(path: string, into: HistoryEvent[]): void {
    const offset = this.#offsets.get(path) ?? 0;
    const size = statSync(path).size;
    if (size <= offset) return;
    const fd = openSync(path, 'r');
    try {
      let position = offset;
      let rest = this.#partial.get(path) ?? EMPTY;
      const buffer = Buffer.alloc(Math.min(READ_CHUNK_BYTES, size - offset));
      while (position < size) {
        const n = readSync(fd, buffer, 0, Math.min(buffer.length, size - position), position);
        if (n === 0) break;
        position += n;
        const bytes = rest.length > 0 ? Buffer.concat([rest, buffer.subarray(0, n)]) : buffer.subarray(0, n);
        const lastNewline = bytes.lastIndexOf(NEWLINE);
        if (lastNewline < 0) {
          rest = Buffer.from(bytes);
          continue;
        }
        // Complete lines decoded in one go (a newline byte is never inside a multi-byte character), then split.
        const text = bytes.toString('utf8', 0, lastNewline + 1);
        for (let start = 0; start < text.length;) {
          const end = text.indexOf('\n', start);
          this.#parse(text.slice(start, end), into);
          start = end + 1;
        }
        rest = Buffer.from(bytes.subarray(lastNewline + 1));
      }
      this.#offsets.set(path, position);
      this.#partial.set(path, rest);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Reads what is left, then settles every file's last line that has no newline: complete JSON (the
   * writer died between the event and its newline) is an event, anything else a torn line, counted
   * as malformed. Call it once, after every writer has stopped: before, such a line may be one being
   * written at this very moment.
   */
  finish(): HistoryEvent[] {
    return this.finishByRun().flat();
  }

  /**
   * What finish returns, in runs: each file's events in its writer's order, then each settled last
   * line on its own. Their concatenation is finish's order; a merge by time needs the runs.
   */
  finishByRun(): HistoryEvent[][] {
    const runs = this.#readNewByFile();
    for (const [path, bytes] of this.#partial) {
      const rest = bytes.toString('utf8');
      this.#partial.set(path, EMPTY);
      if (rest.trim() === '') continue;
      const last: HistoryEvent[] = [];
      this.#parse(rest, last);
      runs.push(last);
    }
    return runs;
  }

  #parse(line: string, into: HistoryEvent[]): void {
    if (!line) return;
    try {
      const event = JSON.parse(line) as HistoryEvent;
      into.push(typeof event === 'object' && event !== null ? this.#strings.share(event) : event);
    } catch {
      this.malformedLines++;
    }
  }
}

/** A finished run's histories: every event in time order, and how many lines could not be parsed. */
export interface RunHistory {
  events: HistoryEvent[];
  malformedLines: number;
}

/**
 * Reads a finished run's histories (every writer stopped), torn last lines included, into one
 * time-ordered array: each file is already in time order, so the files are merged, not sorted.
 */
export function readRunHistory(dir: string): RunHistory {
  const tail = new HistoryTail(dir);
  const events = mergeByTime(tail.finishByRun());
  return { events, malformedLines: tail.malformedLines };
}

/** Every event of a finished run's histories, in time order (`readRunHistory` also says what could not be read). */
export function readHistory(dir: string): HistoryEvent[] {
  return readRunHistory(dir).events;
}

/**
 * The `history` check a run gets when some of its lines could not be parsed: the checkers judged
 * without those events, so no verdict can be trusted to be complete. Undefined when all were read.
 */
export function malformedHistoryCheck(malformedLines: number): CheckResult | undefined {
  if (malformedLines === 0) return undefined;
  return { valid: 'unknown', summary: `${malformedLines} history lines could not be parsed` };
}
