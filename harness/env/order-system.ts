import { join } from 'node:path';
import type { Role, SystemProcessConfigInput } from '../../system/config.ts';
import type { FlawName } from '../../system/flaws.ts';
import { StartedSystemProcess } from './system-process.ts';

export type WorkerRole = Exclude<Role, 'api'>;

/** How the system under test is shaped for a run: instances per kind, flaws, speeds. */
export interface SystemSpec {
  instances: Record<WorkerRole, number>;
  flaws: readonly FlawName[];
  prefetch?: number;
  heartbeatSeconds?: number;
  /** Simulated work per message, per kind (e.g. the payment gateway call). */
  processingMs?: Partial<Record<WorkerRole, number>>;
  /** Per-instance overrides of processing time, e.g. `{ 'payments-2': 50 }` for a slow consumer. */
  instanceProcessingMs?: Record<string, number>;
  initialStock?: number;
}

/** Where the system's processes connect: the producer side and the consumer side may be different proxies. */
export interface SystemEndpoints {
  publishUrl: string;
  consumeUrl: string;
}

export const DEFAULT_SYSTEM_SPEC: SystemSpec = {
  instances: { orders: 2, payments: 2, inventory: 2, notifications: 2, 'dead-letter': 1 },
  flaws: [],
  // A payment gateway call is the slow step of a real order pipeline; it also keeps messages in
  // flight at any moment, which is what a broker fault can lose.
  processingMs: { payments: 100, inventory: 5, notifications: 2 },
};

export const WORKER_ROLES: readonly WorkerRole[] = ['orders', 'payments', 'inventory', 'notifications', 'dead-letter'];

/** The running reference system: one API and the worker instances, each its own OS process. */
export class StartedOrderSystem {
  readonly api: StartedSystemProcess;
  readonly workers: readonly StartedSystemProcess[];
  readonly dataDir: string;
  readonly historyDir: string;

  private constructor(api: StartedSystemProcess, workers: StartedSystemProcess[], dataDir: string, historyDir: string) {
    this.api = api;
    this.workers = workers;
    this.dataDir = dataDir;
    this.historyDir = historyDir;
  }

  static async start(runDir: string, endpoints: SystemEndpoints, spec: SystemSpec): Promise<StartedOrderSystem> {
    const dataDir = join(runDir, 'data');
    const historyDir = join(runDir, 'history');
    const configFor = (role: Role, instance: string): SystemProcessConfigInput => ({
      role,
      instance,
      publishUrl: endpoints.publishUrl,
      consumeUrl: endpoints.consumeUrl,
      dataDir,
      historyFile: join(historyDir, `${instance}.jsonl`),
      flaws: [...spec.flaws],
      ...(spec.prefetch !== undefined ? { prefetch: spec.prefetch } : {}),
      ...(spec.heartbeatSeconds !== undefined ? { heartbeatSeconds: spec.heartbeatSeconds } : {}),
      ...(spec.initialStock !== undefined ? { initialStock: spec.initialStock } : {}),
      processingMs: spec.instanceProcessingMs?.[instance] ?? (role === 'api' ? 0 : (spec.processingMs?.[role] ?? 0)),
    });
    const logFile = (instance: string) => join(runDir, 'logs', `${instance}.log`);
    const started: StartedSystemProcess[] = [];
    try {
      const launches = [['api', 'api-1'] as const, ...WORKER_ROLES.flatMap((role) => Array.from({ length: spec.instances[role] }, (_, k) => [role, `${role}-${k + 1}`] as const))];
      await Promise.all(
        launches.map(async ([role, instance]) => {
          started.push(await StartedSystemProcess.start(configFor(role, instance), logFile(instance)));
        }),
      );
    } catch (err) {
      await Promise.all(started.map((p) => p.dispose()));
      throw err;
    }
    const api = started.find((p) => p.role === 'api')!;
    const workers = WORKER_ROLES.flatMap((role) => started.filter((p) => p.role === role).sort((a, b) => a.instance.localeCompare(b.instance, 'en', { numeric: true })));
    return new StartedOrderSystem(api, workers, dataDir, historyDir);
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.api.ready?.httpPort}`;
  }

  get processes(): StartedSystemProcess[] {
    return [this.api, ...this.workers];
  }

  instancesOf(role: Role): StartedSystemProcess[] {
    return this.processes.filter((p) => p.role === role);
  }

  find(instance: string): StartedSystemProcess | undefined {
    return this.processes.find((p) => p.instance === instance);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.dispose()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
