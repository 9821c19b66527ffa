import type { Role } from '../config.ts';
import type { FlawName } from '../flaws.ts';

export type WorkerRole = Exclude<Role, 'api'>;

/** How the reference system is shaped for a run: instances per kind, flaws, speeds. */
export interface SystemSpec {
  instances: Record<WorkerRole, number>;
  flaws: readonly FlawName[];
  /** One prefetch for every consumer; without it each role's prefetch equals its concurrency. */
  prefetch?: number;
  /**
   * Per role, how many deliveries one instance works on at once (its simulated gateway calls, per
   * queue). The role's prefetch follows it (unless `prefetch` is set), so a consumer never holds a
   * delivery it cannot start on. Default DEFAULT_CONCURRENCY (config.ts) for every role.
   */
  concurrency?: Partial<Record<WorkerRole, number>>;
  heartbeatSeconds?: number;
  /** Simulated work per message, per kind (e.g. the payment gateway call). */
  processingMs?: Partial<Record<WorkerRole, number>>;
  /** Per-instance overrides of processing time, e.g. `{ 'payments-2': 50 }` for a slow consumer. */
  instanceProcessingMs?: Record<string, number>;
  initialStock?: number;
}

export const DEFAULT_SYSTEM_SPEC: SystemSpec = {
  instances: { orders: 2, payments: 2, inventory: 2, notifications: 2, 'dead-letter': 1 },
  flaws: [],
  // A payment gateway call is the slow step of a real order pipeline; it also keeps messages in
  // flight at any moment, which is what a broker fault can lose.
  processingMs: { payments: 100, inventory: 5, notifications: 2 },
};

export const WORKER_ROLES: readonly WorkerRole[] = ['orders', 'payments', 'inventory', 'notifications', 'dead-letter'];

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

const SPEC_KEYS = new Set([
  'instances',
  'prefetch',
  'concurrency',
  'heartbeatSeconds',
  'processingMs',
  'instanceProcessingMs',
  'initialStock',
]);

/**
 * A scenario's settings over the defaults. `instances` and `processingMs` merge per role, so a
 * scenario names only the roles it changes. A key the reference does not know is refused: a typo
 * would otherwise run the default system and prove something else than the scenario claims.
 */
export function resolveSystemSpec(settings: Readonly<Record<string, unknown>>, flaws: readonly FlawName[]): SystemSpec {
  for (const key of Object.keys(settings)) {
    if (!SPEC_KEYS.has(key))
      throw new SettingsError(`unknown reference system setting "${key}": expected one of ${[...SPEC_KEYS].join(', ')}`);
  }
  const requested = settings as Partial<SystemSpec>;
  return {
    ...DEFAULT_SYSTEM_SPEC,
    ...requested,
    instances: { ...DEFAULT_SYSTEM_SPEC.instances, ...requested.instances },
    processingMs: { ...DEFAULT_SYSTEM_SPEC.processingMs, ...requested.processingMs },
    ...(requested.concurrency ? { concurrency: { ...requested.concurrency } } : {}),
    flaws: [...flaws],
  };
}
