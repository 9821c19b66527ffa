import type { PhaseRecord } from './run-results.ts';
import type { StatusLine } from './status-line.ts';

export class RunInterruptedError extends Error {
  override readonly name = 'RunInterruptedError';
}

/**
 * A run's sense of time and of being stopped: the current phase (each one's duration lands in
 * `phases`), the elapsed time for the status line, and one abort signal that both an interrupt
 * from outside and the watchdog trip.
 */
export class RunClock {
  readonly phases: PhaseRecord[] = [];
  readonly status: StatusLine;
  readonly #abort = new AbortController();
  readonly #t0 = performance.now();
  #phaseName = 'setup';
  #phaseStart = performance.now();

  constructor(status: StatusLine) {
    this.status = status;
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  abort(reason: string): void {
    this.#abort.abort(reason);
  }

  readonly log = (message: string): void => this.status.log(message);

  phase(name: string): void {
    this.phases.push({ name: this.#phaseName, seconds: round((performance.now() - this.#phaseStart) / 1000) });
    this.#phaseName = name;
    this.#phaseStart = performance.now();
  }

  phaseName(): string {
    return this.#phaseName;
  }

  elapsed(): number {
    return (performance.now() - this.#t0) / 1000;
  }

  throwIfAborted(): void {
    if (this.signal.aborted) throw new RunInterruptedError(String(this.signal.reason));
  }

  /** Rejects when the run is aborted; never an unhandled rejection if nobody is waiting any more. */
  aborted(): Promise<never> {
    const signal = this.signal;
    const promise = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(new RunInterruptedError(String(signal.reason)));
      signal.addEventListener('abort', () => reject(new RunInterruptedError(String(signal.reason))), { once: true });
    });
    promise.catch(() => {});
    return promise;
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
