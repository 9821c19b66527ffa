import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Resolves when the child has exited (at once if it already has). */
export function exitOf(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Asks a child to stop (SIGTERM: it may flush and say goodbye), and SIGKILLs it if it has not
 * exited after `graceMs`. Resolves once it is gone; returns whether it went by itself.
 */
export async function terminate(child: ChildProcess, graceMs: number): Promise<boolean> {
  const exited = exitOf(child);
  if (child.exitCode !== null || child.signalCode !== null) return true;
  child.kill('SIGTERM');
  const graceful = await Promise.race([exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!graceful) {
    child.kill('SIGKILL');
    await exited;
  }
  return graceful;
}

/** The last lines of a log file, for an error message that should say why something died. */
export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** A timer that never keeps the process alive on its own. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
