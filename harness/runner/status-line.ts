/** What the live status line shows while a scenario runs. */
export interface StatusSnapshot {
  phase: string;
  elapsedSeconds: number;
  targetRate?: number;
  achievedRate?: number;
  accepted?: number;
  completed?: number;
  faults: readonly string[];
  note?: string;
}

const NON_TTY_EVERY_MS = 5_000;

/**
 * One line, rewritten in place on a terminal; on a CI log (no TTY), a fresh line every few
 * seconds instead of a wall of carriage returns, and at once when the phase or the active faults
 * change: a fault of three seconds must not fall between two lines of the log.
 */
export class StatusLine {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  #lastPrinted = 0;
  #lastChange = '';
  #dirty = false;

  constructor(out: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#tty = Boolean(out.isTTY);
  }

  update(s: StatusSnapshot): void {
    const text = format(s);
    if (this.#tty) {
      this.#out.write(`\r\x1b[2K${text.slice(0, (this.#out.columns ?? 200) - 1)}`);
      this.#dirty = true;
      return;
    }
    const now = Date.now();
    const change = `${s.phase} ${s.faults.join(',')}`;
    if (now - this.#lastPrinted < NON_TTY_EVERY_MS && change === this.#lastChange) return;
    this.#lastPrinted = now;
    this.#lastChange = change;
    this.#out.write(text + '\n');
  }

  /** Prints a message on its own line without garbling the status line. */
  log(message: string): void {
    this.clear();
    this.#out.write(message + '\n');
  }

  clear(): void {
    if (this.#tty && this.#dirty) this.#out.write('\r\x1b[2K');
    this.#dirty = false;
  }
}

export function format(s: StatusSnapshot): string {
  const parts = [`[${s.phase}]`, `${s.elapsedSeconds.toFixed(1)}s`];
  if (s.targetRate !== undefined) parts.push(`target ${s.targetRate}/s`);
  if (s.achievedRate !== undefined) parts.push(`achieved ${s.achievedRate.toFixed(1)}/s`);
  if (s.accepted !== undefined) parts.push(`accepted ${s.accepted}`);
  if (s.completed !== undefined) parts.push(`completed ${s.completed}`);
  parts.push(`fault: ${s.faults.length ? s.faults.join(',') : '-'}`);
  if (s.note) parts.push(s.note);
  return parts.join('  ');
}
