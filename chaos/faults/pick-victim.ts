import type { FaultEnv, ProcessInfo } from '../fault.ts';

export class NoVictimError extends Error {
  constructor(fault: string, role: string) {
    super(`${fault}: no running, unfrozen ${role} instance to act on`);
    this.name = 'NoVictimError';
  }
}

/** A running, unfrozen instance of `role`, chosen with the run's seeded randomness (same seed, same victim). */
export function pickVictim(env: FaultEnv, fault: string, role: string, instance?: string): ProcessInfo {
  const candidates = env.processes
    .list()
    .filter((p) => p.role === role && p.running && !p.paused && (instance === undefined || p.instance === instance))
    .sort((a, b) => a.instance.localeCompare(b.instance, 'en', { numeric: true }));
  const victim = candidates[Math.min(candidates.length - 1, Math.floor(env.random() * candidates.length))];
  if (!victim) throw new NoVictimError(fault, instance ?? role);
  return victim;
}

export function isRunning(env: FaultEnv, instance: string): boolean {
  return env.processes.list().some((p) => p.instance === instance && p.running);
}
