import type { HistoryRecord } from './history-event.ts';
import { HistoryWriter } from './history-writer.ts';

/** Where an instrumented service writes its history when its code does not name a file. */
export const HISTORY_FILE_ENV = 'HISTORY_FILE';

/** What the instrumentation writes to: a history file, or nothing at all in production. */
export interface HistoryRecorder {
  /** The writing process's name, e.g. `payments-2`; also the default consumer name of its deliveries. */
  readonly proc: string;
  append(record: HistoryRecord): void;
  close(): void;
}

/** Records nothing: lets a production service keep its instrumented code paths unchanged. */
export class NoHistory implements HistoryRecorder {
  readonly proc: string;

  constructor(proc: string) {
    this.proc = proc;
  }

  append(): void {}

  close(): void {}
}

/**
 * Opens the history a service writes: `file` when the service names one, else the file in
 * `HISTORY_FILE`, else nothing (a no-op recorder), so the same build runs under the harness and
 * in production.
 */
export function openHistory(proc: string, file: string | undefined = process.env[HISTORY_FILE_ENV]): HistoryRecorder {
  if (!proc) throw new TypeError('openHistory: expected a process name (e.g. "payments-1"); it names every event the process writes');
  return file ? new HistoryWriter(file, proc) : new NoHistory(proc);
}
