import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HistoryEvent, HistoryRecord } from './history-event.ts';
import type { HistoryRecorder } from './recorder.ts';

/**
 * Appends history events as JSON lines with one synchronous write(2) per event.
 * Once `append` returns, the line is in the kernel's page cache: a SIGKILL of this process
 * cannot lose it (only a machine crash could), which is exactly the guarantee the checkers need
 * to tell "never happened" from "happened, then the process died".
 *
 * A predecessor killed in the middle of a write may have left a line without its newline; a writer
 * that reopens the file ends that line first, so the torn line stays one malformed line (counted by
 * the reader) instead of swallowing this writer's first event.
 */
export class HistoryWriter implements HistoryRecorder {
  readonly #fd: number;
  readonly #proc: string;
  #closed = false;

  constructor(file: string, proc: string) {
    mkdirSync(dirname(file), { recursive: true });
    // a+: appends like 'a', and lets the constructor read the file's last byte.
    this.#fd = openSync(file, 'a+');
    this.#proc = proc;
    if (endsMidLine(this.#fd)) writeSync(this.#fd, '\n');
  }

  get proc(): string {
    return this.#proc;
  }

  append(record: HistoryRecord): void {
    if (this.#closed) return;
    const event = { t: now(), proc: this.#proc, ...record } as HistoryEvent;
    writeSync(this.#fd, JSON.stringify(event) + '\n');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

const NEWLINE = 0x0a;

function endsMidLine(fd: number): boolean {
  const { size } = fstatSync(fd);
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== NEWLINE;
}

/** Millisecond wall-clock time with sub-millisecond resolution, comparable across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
