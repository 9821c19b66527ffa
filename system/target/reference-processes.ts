import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TargetProcessSpec, TargetStartContext } from '../../harness/target/target.ts';
import { CONFIG_ENV, type Role, type SystemProcessConfigInput } from '../config.ts';
import { systemBundle } from './system-bundle.ts';
import { WORKER_ROLES, type SystemSpec } from './system-spec.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const API_INSTANCE = 'api-1';

/** Every process's instance and role: the API first, then the workers in pipeline order. */
export function launches(spec: SystemSpec): { role: Role; instance: string }[] {
  return [
    { role: 'api', instance: API_INSTANCE },
    ...WORKER_ROLES.flatMap((role) => Array.from({ length: spec.instances[role] }, (_, k) => ({ role, instance: `${role}-${k + 1}` }))),
  ];
}

/**
 * One `node <bundle of system/main.ts>` per process (one PID, no wrapper; see system-bundle.ts),
 * configured by JSON in ORDER_SYSTEM_CONFIG. Ports are chosen here, not by the process: a restarted API must come back
 * on the port the load clients use, and a restarted worker on the port Prometheus scrapes.
 */
export async function referenceProcesses(
  context: TargetStartContext,
  spec: SystemSpec,
  ports: readonly number[],
): Promise<TargetProcessSpec[]> {
  const entry = await systemBundle(REPO_ROOT);
  return launches(spec).map(({ role, instance }, k) => {
    const port = ports[k]!;
    const config: SystemProcessConfigInput = {
      role,
      instance,
      publishUrl: context.endpoints.publishUrl,
      consumeUrl: context.endpoints.consumeUrl,
      ...clusterEndpoints(context),
      dataDir: context.dataDir,
      historyFile: join(context.historyDir, `${instance}.jsonl`),
      flaws: [...spec.flaws],
      ...capacity(spec, role),
      ...(spec.heartbeatSeconds !== undefined ? { heartbeatSeconds: spec.heartbeatSeconds } : {}),
      ...(spec.initialStock !== undefined ? { initialStock: spec.initialStock } : {}),
      processingMs: spec.instanceProcessingMs?.[instance] ?? (role === 'api' ? 0 : (spec.processingMs?.[role] ?? 0)),
      ...(role === 'api' ? { httpPort: port } : { metricsPort: port }),
    };
    return {
      instance,
      role,
      command: process.execPath,
      args: ['--enable-source-maps', entry],
      cwd: REPO_ROOT,
      env: { [CONFIG_ENV]: JSON.stringify(config) },
      ready: { kind: 'json-line' },
    };
  });
}

/** On a cluster: every node's URL (the connections fail over along them) and quorum queues; nothing on a single broker. */
export function clusterEndpoints(context: TargetStartContext): Pick<SystemProcessConfigInput, 'publishUrls' | 'consumeUrls' | 'cluster'> {
  const { publishUrls, consumeUrls } = context.endpoints;
  return {
    ...(publishUrls?.length ? { publishUrls: [...publishUrls] } : {}),
    ...(consumeUrls?.length ? { consumeUrls: [...consumeUrls] } : {}),
    ...(context.cluster ? { cluster: true } : {}),
  };
}

/** A worker's prefetch and concurrency: a role's concurrency brings its prefetch along, unless one prefetch is set for all. */
function capacity(spec: SystemSpec, role: Role): { prefetch?: number; concurrency?: number } {
  const concurrency = role === 'api' ? undefined : spec.concurrency?.[role];
  const prefetch = spec.prefetch ?? concurrency;
  return { ...(prefetch !== undefined ? { prefetch } : {}), ...(concurrency !== undefined ? { concurrency } : {}) };
}

/** Distinct free loopback ports, held open together so the kernel cannot hand out one twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<Server>((resolve, reject) => {
          const server = createServer();
          server.on('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}
