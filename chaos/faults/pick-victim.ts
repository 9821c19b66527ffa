import type { FaultEnv, ProcessInfo } from '../fault.ts';

export class NoVictimError extends Error {
  constructor(fault: string, role: string) {
    super(`${fault}: no running, unfrozen ${role} instance to act on`);
    this.name = 'NoVictimError';
  }
}

/** The role of the process that takes requests; every other role is a consumer stage. */
export const API_ROLE = 'api';
/** Any consumer stage of the target, whatever its role names are. */
export const ANY_CONSUMER = '*consumer';

/**
 * A running, unfrozen instance of `role` (or of any consumer stage for ANY_CONSUMER), chosen with the
 * run's seeded randomness (same seed, same victim).
 */
export function pickVictim(env: FaultEnv, fault: string, role: string, instance?: string): ProcessInfo {
  const roleMatches = (r: string) => (role === ANY_CONSUMER ? r !== API_ROLE : r === role);
  const candidates = env.processes
    .list()
    .filter((p) => roleMatches(p.role) && p.running && !p.paused && (instance === undefined || p.instance === instance))
    .sort((a, b) => a.instance.localeCompare(b.instance, 'en', { numeric: true }));
  const victim = candidates[Math.min(candidates.length - 1, Math.floor(env.random() * candidates.length))];
  if (!victim) throw new NoVictimError(fault, instance ?? (role === ANY_CONSUMER ? 'consumer' : role));
  return victim;
}

export function isRunning(env: FaultEnv, instance: string): boolean {
  return env.processes.list().some((p) => p.instance === instance && p.running);
}
