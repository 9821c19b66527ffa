import { DEFAULT_PREFETCH } from '../../system/config.ts';
import type { RunRecord } from './checker.ts';

/**
 * What checkers may read from `run.system` (the run's SystemSpec: flaws, prefetch, processing
 * times), defensively: the record is loosely typed, and a checker must not crash on a missing field.
 */

export function hasFlaw(run: RunRecord, flaw: string): boolean {
  const flaws = run.system?.flaws;
  return Array.isArray(flaws) && flaws.includes(flaw);
}

/** The prefetch every consumer was started with. */
export function configuredPrefetch(run: RunRecord): number {
  const p = run.system?.prefetch;
  return typeof p === 'number' && p > 0 ? p : DEFAULT_PREFETCH;
}

/** `payments-2` -> `payments`: instances are named `<role>-<n>`. */
export function roleOf(instance: string): string {
  return instance.replace(/-\d+$/, '');
}

/** Configured simulated work per message of one instance, when the run says. */
export function configuredProcessingMs(run: RunRecord, instance: string): number | undefined {
  const perInstance = record(run.system?.instanceProcessingMs)?.[instance];
  if (typeof perInstance === 'number') return perInstance;
  const perRole = record(run.system?.processingMs)?.[roleOf(instance)];
  if (typeof perRole === 'number') return perRole;
  return record(run.system?.processingMs) ? 0 : undefined;
}

/** Instance names per role from `run.system.instances` (`{ payments: 2 }` -> payments-1, payments-2). */
export function configuredInstances(run: RunRecord): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [role, n] of Object.entries(record(run.system?.instances) ?? {})) {
    if (typeof n === 'number' && n > 0) out.set(role, Array.from({ length: n }, (_, k) => `${role}-${k + 1}`));
  }
  return out;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
