import type { RunRecord } from './checker.ts';

/**
 * What checkers may read from `run.system` (the settings the target was started with: prefetch,
 * instances, processing times), defensively: the record is loosely typed, and a checker must not
 * crash on a missing field. Which flaws were planted is deliberately not offered: a checker judges
 * what the history shows, the same whatever flaw was planted.
 */

/** The prefetch every consumer was started with: the run's settings, else the target's declared default; undefined when neither says. */
export function configuredPrefetch(run: RunRecord): number | undefined {
  const p = run.system?.prefetch;
  if (typeof p === 'number' && p > 0) return p;
  return run.topology.defaultPrefetch;
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
    if (typeof n === 'number' && n > 0)
      out.set(
        role,
        Array.from({ length: n }, (_, k) => `${role}-${k + 1}`),
      );
  }
  return out;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
