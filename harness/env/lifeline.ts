import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { registerChild } from './child-registry.ts';

export const LIFELINE_SCRIPT = fileURLToPath(new URL('./lifeline.sh', import.meta.url));
const SHELL = '/bin/sh';
/** Each watched child's lifeline, as the promise of its exit. */
const lifelines = new WeakMap<ChildProcess, Promise<void>>();

export interface LifelineSpawnOptions extends Omit<SpawnOptions, 'detached'> {
  /** Names the process in the registry and in `processes.jsonl`. */
  label: string;
  /** See ChildOptions.commandLineMarker. */
  commandLineMarker?: string;
}

/**
 * Spawns `command` as the leader of its own process group (and session), watched by a lifeline:
 * a tiny shell (lifeline.sh) whose stdin only we hold. When that stdin closes, because the child
 * exited and we let go of it, or because we died in any way (SIGKILL included), the lifeline
 * SIGKILLs the child's whole group and exits.
 *
 * For programs that cannot watch their stdin themselves as the system processes and the embedded
 * proxy do (the Erlang VM, epmd, Prometheus). The child stays our direct child: its PID, signals
 * and exit event are exactly those of a plain spawn, so stop/kill/restart semantics do not change.
 * Its own group also keeps a terminal's Ctrl-C from reaching it: the harness decides when it stops.
 */
export function spawnWithLifeline(command: string, args: readonly string[], options: LifelineSpawnOptions): ChildProcess {
  const { label, commandLineMarker, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, detached: true });
  // Spawning failed ('error' follows): there is nothing to watch.
  if (child.pid === undefined) return child;
  registerChild(child, label, { group: true, ...(commandLineMarker !== undefined ? { commandLineMarker } : {}) });
  // Detached too: a Ctrl-C meant for the harness must not kill the lifeline before the harness is done.
  const lifeline = spawn(SHELL, [LIFELINE_SCRIPT, String(child.pid)], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  lifeline.stdin?.on('error', () => {});
  registerChild(lifeline, `lifeline of ${label}`);
  lifelines.set(child, new Promise((resolve) => lifeline.once('exit', () => resolve())));
  // The group may hold more than the leader; once the leader is gone the lifeline takes the rest.
  child.once('exit', () => lifeline.stdin?.end());
  return child;
}

/**
 * Resolves once the child's lifeline has exited too (at once for a child without one): a stop is
 * over only when nothing it started is left, the lifeline included.
 */
export function lifelineGone(child: ChildProcess): Promise<void> {
  return lifelines.get(child) ?? Promise.resolve();
}

/** Signals the child's whole process group (it leads one: see spawnWithLifeline), or the child alone if that fails. */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}
