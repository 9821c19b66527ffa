import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { HistoryEvent, HistoryRecord } from './history-event.ts';

/**
 * Appends history events as JSON lines with one synchronous write(2) per event.
 * Once `append` returns, the line is in the kernel's page cache: a SIGKILL of this process
 * cannot lose it (only a machine crash could), which is exactly the guarantee the checkers need
 * to tell "never happened" from "happened, then the process died".
 */
export class HistoryWriter {
  readonly #fd: number;
  readonly #proc: string;
  #closed = false;

  constructor(file: string, proc: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.#fd = openSync(file, 'a');
    this.#proc = proc;
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

/** Millisecond wall-clock time with sub-millisecond resolution, comparable across processes. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
