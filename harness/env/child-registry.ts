import type { ChildProcess } from 'node:child_process';

/**
 * Every OS process the harness starts is registered here by PID, so that whatever way the harness
 * ends (success, failure, timeout, SIGINT, SIGTERM, an uncaught error) it can stop them all by
 * PID. Never by name: another RabbitMQ runs on this machine and is not ours.
 */
const live = new Map<number, { child: ChildProcess; label: string }>();
const listeners = new Set<(pid: number, label: string) => void>();
let hooksInstalled = false;

export function registerChild(child: ChildProcess, label: string): void {
  if (child.pid === undefined) return;
  const pid = child.pid;
  live.set(pid, { child, label });
  child.once('exit', () => live.delete(pid));
  installHooks();
  for (const listener of listeners) listener(pid, label);
}

/** Hears of every process started from now on (a run records them in `processes.jsonl`). */
export function onChildStarted(listener: (pid: number, label: string) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function liveChildren(): { pid: number; label: string }[] {
  return [...live.entries()].map(([pid, { label }]) => ({ pid, label }));
}

/** Last resort, synchronous: SIGKILL everything still alive (used on process exit). */
export function killAllChildrenNow(): void {
  for (const [pid] of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllChildrenNow);
}
