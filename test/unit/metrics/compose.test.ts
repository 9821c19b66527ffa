// Question: would `docker compose up` find everything it is told to use? Docker is not available
// here, so this checks what can be checked without it: the compose file parses, every volume and
// build source exists in the repo, every host a service talks to (Prometheus targets, AMQP URLs,
// Toxiproxy upstreams, Grafana's datasource, k6's API and remote-write URLs) is a compose service,
// every system service's ORDER_SYSTEM_CONFIG is valid, Grafana's provisioned paths land on repo
// files, and the Prometheus config passes `promtool check config`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { findPromtool } from '../../../harness/env/prometheus-server.ts';
import { REPO_ROOT } from '../../../harness/env/system-process.ts';
import { SCRAPE_JOBS } from '../../../harness/metrics/run-targets.ts';
import { parseConfig } from '../../../system/config.ts';

type Json = Record<string, unknown>;

const parse = (file: string): unknown => parseYaml(readFileSync(file, 'utf8'), { merge: true });
const repo = (p: string) => join(REPO_ROOT, p);

describe('docker-compose.yml', () => {
  const compose = parse(repo('docker-compose.yml')) as { services: Record<string, Json>; volumes?: Record<string, unknown> };
  const services = compose.services;
  const serviceNames = new Set(Object.keys(services));
  const env = (service: string): Record<string, string> => {
    const e = services[service]?.environment;
    if (Array.isArray(e)) return Object.fromEntries(e.map((kv: string) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    return (e ?? {}) as Record<string, string>;
  };
  /** `${VAR}` / `${VAR:-default}` as compose would expand them with an empty environment. */
  const interpolate = (s: string, vars: Record<string, string> = {}) => s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_, n: string, d?: string) => vars[n] ?? d ?? '');
  const volumes = (service: string) => ((services[service]?.volumes ?? []) as string[]).map((v) => v.split(':'));
  const hostOf = (url: string) => new URL(url).hostname;

  it('has the services the rig needs', () => {
    for (const s of ['rabbitmq', 'toxiproxy', 'prometheus', 'grafana', 'api', 'orders-1', 'payments-1', 'inventory-1', 'notifications-1', 'dead-letter-1', 'k6']) expect(serviceNames).toContain(s);
    expect(services.rabbitmq!.image).toBe('rabbitmq:3.13-management');
    expect(services.toxiproxy!.image).toBe('ghcr.io/shopify/toxiproxy:2.12.0');
    expect(String(services.k6!.image)).toMatch(/^grafana\/k6(:|$)/);
  });

  it('mounts and builds only things that exist: repo paths or declared named volumes', () => {
    const named = new Set(Object.keys(compose.volumes ?? {}));
    for (const service of serviceNames) {
      for (const [source] of volumes(service)) {
        if (source!.startsWith('.') || source!.startsWith('/')) expect(existsSync(repo(source!)), `${service}: ${source}`).toBe(true);
        else expect(named, `${service}: named volume ${source}`).toContain(source);
      }
      const build = services[service]!.build as { context: string; dockerfile: string } | undefined;
      if (build) expect(existsSync(repo(join(build.context, build.dockerfile))), `${service}: ${build.dockerfile}`).toBe(true);
      const dependsOn = services[service]!.depends_on ?? [];
      for (const dep of Array.isArray(dependsOn) ? (dependsOn as string[]) : Object.keys(dependsOn)) expect(serviceNames, `${service} depends on ${dep}`).toContain(dep);
    }
  });

  it('enables the management and prometheus plugins on RabbitMQ', () => {
    const plugins = volumes('rabbitmq').find(([, target]) => target === '/etc/rabbitmq/enabled_plugins');
    expect(plugins).toBeDefined();
    expect(readFileSync(repo(plugins![0]!), 'utf8')).toMatch(/^\[rabbitmq_management,\s*rabbitmq_prometheus\]\.\s*$/);
  });

  const systemServices = [...serviceNames].filter((s) => env(s).ORDER_SYSTEM_CONFIG);

  it('gives every system service a valid ORDER_SYSTEM_CONFIG reaching the broker through Toxiproxy', () => {
    expect(systemServices.length).toBeGreaterThanOrEqual(6);
    const proxies = JSON.parse(readFileSync(repo('docker/toxiproxy/toxiproxy.json'), 'utf8')) as { name: string; listen: string; upstream: string }[];
    const proxyPorts = new Set(proxies.map((p) => Number(p.listen.split(':').pop())));
    for (const p of proxies) expect(serviceNames).toContain(p.upstream.split(':')[0]);
    for (const service of systemServices) {
      const config = parseConfig(env(service).ORDER_SYSTEM_CONFIG);
      expect(config.instance, service).toBe(service === 'api' ? 'api-1' : service);
      expect(config.listenHost, `${service} must listen beyond loopback`).toBe('0.0.0.0');
      for (const url of [config.publishUrl, config.consumeUrl]) {
        expect(hostOf(url)).toBe('toxiproxy');
        expect(proxyPorts).toContain(Number(new URL(url).port));
      }
      expect(new URL(config.publishUrl).port).not.toBe(new URL(config.consumeUrl).port);
      expect(services[service]!.stdin_open, `${service}: the process exits when stdin closes`).toBe(true);
    }
  });

  describe('docker/prometheus/prometheus.yml', () => {
    const file = repo('docker/prometheus/prometheus.yml');
    const config = parse(file) as { scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[] };

    it('passes promtool check config', () => {
      expect(execFileSync(findPromtool(), ['check', 'config', file], { encoding: 'utf8' })).toContain('SUCCESS');
    });

    it('is mounted where the prometheus service reads it, with the remote-write receiver on', () => {
      expect(volumes('prometheus').some(([source, target]) => source === './docker/prometheus/prometheus.yml' && target === '/etc/prometheus/prometheus.yml')).toBe(true);
      expect(services.prometheus!.command).toContain('--web.enable-remote-write-receiver');
    });

    it('scrapes only compose services, every system service at its metrics port, with the jobs the dashboards use', () => {
      const targets = config.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets.map((t) => ({ job: j.job_name, host: t.split(':')[0]!, port: Number(t.split(':')[1]) }))));
      for (const t of targets) expect(serviceNames, `${t.job} target ${t.host}`).toContain(t.host);
      for (const service of systemServices) {
        const c = parseConfig(env(service).ORDER_SYSTEM_CONFIG);
        expect(targets, service).toContainEqual({ job: SCRAPE_JOBS.system, host: service, port: c.role === 'api' ? c.httpPort : c.metricsPort });
      }
      const jobs = Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j.metrics_path ?? '/metrics']));
      expect(jobs[SCRAPE_JOBS.broker]).toBe('/metrics');
      expect(jobs[SCRAPE_JOBS.brokerPerObject]).toBe('/metrics/per-object');
    });
  });

  describe('Grafana provisioning', () => {
    const grafanaEnv = env('grafana');
    /** A path inside the grafana container, mapped back to the repo through its bind mounts. */
    const inRepo = (containerPath: string): string | undefined => {
      for (const [source, target] of volumes('grafana')) {
        if (containerPath === target || containerPath.startsWith(`${target}/`)) return repo(posix.join(source!, containerPath.slice(target!.length)));
      }
      return undefined;
    };
    const provisioning = inRepo('/etc/grafana/provisioning');

    it('mounts grafana/provisioning with datasources and dashboards providers', () => {
      expect(provisioning).toBe(repo('grafana/provisioning'));
      expect(readdirSync(join(provisioning!, 'datasources'))).toContain('prometheus.yml');
      expect(readdirSync(join(provisioning!, 'dashboards'))).toContain('provider.yml');
    });

    it('points the datasource at the prometheus service, with the uid the dashboards default to', () => {
      const ds = parse(join(provisioning!, 'datasources', 'prometheus.yml')) as { datasources: { uid: string; type: string; url: string }[] };
      expect(ds.datasources).toHaveLength(1);
      expect(ds.datasources[0]).toMatchObject({ uid: 'prometheus', type: 'prometheus' });
      expect(serviceNames).toContain(hostOf(interpolate(ds.datasources[0]!.url, grafanaEnv)));
      for (const f of ['chaos-run.json', 'broker-overview.json']) {
        const d = JSON.parse(readFileSync(repo(`grafana/dashboards/${f}`), 'utf8')) as { templating: { list: { name: string; current?: { value?: unknown } }[] } };
        expect(d.templating.list.find((v) => v.name === 'datasource')?.current?.value).toBe('prometheus');
      }
    });

    it('loads dashboards from a path that is the repo grafana/dashboards folder', () => {
      const providers = parse(join(provisioning!, 'dashboards', 'provider.yml')) as { providers: { options: { path: string } }[] };
      for (const p of providers.providers) {
        const local = inRepo(interpolate(p.options.path, grafanaEnv));
        expect(local).toBe(repo('grafana/dashboards'));
        expect(statSync(local!).isDirectory()).toBe(true);
        expect(readdirSync(local!).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(2);
      }
      const home = grafanaEnv.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
      if (home) expect(existsSync(inRepo(home) ?? '/nonexistent')).toBe(true);
    });
  });

  it('runs k6 against the API service and pushes to the prometheus service', () => {
    const k6 = env('k6');
    expect(serviceNames).toContain(hostOf(k6.API_URL!));
    expect(serviceNames).toContain(hostOf(k6.K6_PROMETHEUS_RW_SERVER_URL!));
    expect(services.k6!.command).toEqual(expect.arrayContaining(['run', '-o', 'experimental-prometheus-rw']));
    const script = (services.k6!.command as string[]).find((a) => a.endsWith('.js'))!;
    const mount = volumes('k6').find(([, target]) => script.startsWith(`${target}/`));
    expect(mount).toBeDefined();
    expect(existsSync(repo(posix.join(mount![0]!, script.slice(mount![1]!.length))))).toBe(true);
  });
});
