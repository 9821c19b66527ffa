import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The plugins every harness node runs: Prometheus for the dashboards, management for the broker inspector. */
export const ENABLED_PLUGINS = ['rabbitmq_management', 'rabbitmq_prometheus'] as const;

/** The applications a node boots with, whatever the plugins: their dependencies are followed from here. */
const CORE_APPS = ['rabbit', 'rabbit_common', 'rabbitmq_prelaunch'];

export interface NodeListeners {
  host: string;
  amqp: number;
  management: number;
  prometheus: number;
}

/**
 * The node's configuration as Erlang terms (rabbitmq.config) instead of rabbitmq.conf: a .conf file
 * is translated through cuttlefish and every plugin's schema at each boot, about a second here.
 */
export function erlangTermConfig(listeners: NodeListeners, user: string, password: string, cluster?: ClusterTerms): string {
  const ip = erlangString(listeners.host);
  return [
    '%% Written by the harness (harness/env/rabbitmq-boot-files.ts) for one private node.',
    '[',
    '  {rabbit, [',
    ...(cluster ? clusterRabbitTerms(cluster) : []),
    `    {tcp_listeners, [{${ip}, ${listeners.amqp}}]},`,
    `    {default_user, ${erlangBinary(user)}},`,
    `    {default_pass, ${erlangBinary(password)}},`,
    '    {loopback_users, []},',
    // Queue and channel figures refresh every second instead of every 5 (dashboards, drain checks).
    '    {collect_statistics_interval, 1000}',
    '  ]},',
    // The management API's figures are samples kept every 5 s by default (the smallest SampleEveryNSeconds
    // below), so queue depths and consumers read through it lagged by up to 5 s: sampled every second instead.
    '  {rabbitmq_management_agent, [{sample_retention_policies, [{global, [{605, 1}]}, {basic, [{605, 1}]}, {detailed, [{605, 1}]}]}]},',
    `  {rabbitmq_management, [{tcp_config, [{ip, ${ip}}, {port, ${listeners.management}}]}]},`,
    `  {rabbitmq_prometheus, [{tcp_config, [{ip, ${ip}}, {port, ${listeners.prometheus}}]}]}`,
    '].',
    '',
  ].join('\n');
}

/** What a node of a harness cluster adds to its config. */
export interface ClusterTerms {
  /**
   * The nodes this one joins when it boots fresh (classic-config peer discovery), by long name
   * (`rabbit@10.1.2.11`): none for the first node, which then boots alone at once instead of
   * looking for peers that are not up yet.
   */
  joins: readonly string[];
  partitionHandling: 'pause_minority' | 'autoheal' | 'ignore';
}

function clusterRabbitTerms(cluster: ClusterTerms): string[] {
  const nodes = cluster.joins.map((n) => `'${n.replace(/'/g, '')}'`).join(', ');
  return [
    ...(cluster.joins.length ? [`    {cluster_nodes, {[${nodes}], disc}},`] : []),
    `    {cluster_partition_handling, ${cluster.partitionHandling}},`,
  ];
}

export function enabledPluginsFile(): string {
  return `[${ENABLED_PLUGINS.join(',')}].\n`;
}

/**
 * A plugins directory holding links to just the applications this node boots (the enabled plugins
 * and everything they and RabbitMQ depend on, read from their .app files): every directory in the
 * plugins dir is on the VM's code path, and each module load searches it, so Debian's 71 entries
 * cost about a second of every boot. Undefined when the installation's layout is not the one
 * expected (the node then uses its own plugins dir, only slower).
 */
export function linkPluginsDir(serverScript: string, into: string): string | undefined {
  const installed = installedPluginsDir(serverScript);
  if (!installed) return undefined;
  const apps = new Map<string, { dir: string; deps: string[] }>();
  for (const entry of readdirSync(installed)) {
    const name = entry.replace(/-[^-]+$/, '');
    const appFile = join(installed, entry, 'ebin', `${name}.app`);
    if (existsSync(appFile)) apps.set(name, { dir: entry, deps: appDependencies(readFileSync(appFile, 'utf8')) });
  }
  const needed = new Set<string>();
  const queue: string[] = [...CORE_APPS, ...ENABLED_PLUGINS];
  for (let app = queue.pop(); app !== undefined; app = queue.pop()) {
    const found = apps.get(app);
    if (!found || needed.has(app)) continue;
    needed.add(app);
    queue.push(...found.deps);
  }
  if (!CORE_APPS.every((app) => needed.has(app))) return undefined;
  rmSync(into, { recursive: true, force: true });
  mkdirSync(into, { recursive: true });
  for (const app of needed) {
    const dir = apps.get(app)!.dir;
    symlinkSync(join(installed, dir), join(into, dir));
  }
  return into;
}

/** `sbin/rabbitmq-server` of an installation has its plugins in `../plugins` (Debian and the generic-unix tarball alike). */
function installedPluginsDir(serverScript: string): string | undefined {
  try {
    const dir = join(dirname(dirname(realpathSync(serverScript))), 'plugins');
    return existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** The applications an .app file says it needs, may include or may use. */
export function appDependencies(appFileText: string): string[] {
  const deps: string[] = [];
  for (const key of ['applications', 'included_applications', 'optional_applications']) {
    const list = new RegExp(`\\{\\s*${key}\\s*,\\s*\\[([^\\]]*)\\]`).exec(appFileText)?.[1];
    if (list)
      deps.push(
        ...list
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
  }
  return deps;
}

function erlangString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function erlangBinary(text: string): string {
  return `<<${erlangString(text)}>>`;
}
