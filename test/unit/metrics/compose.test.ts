// Question: would `docker compose up` find everything it is told to use? Docker is not available
// here, so this checks what can be checked without it: the compose file parses, every volume and
// build source exists in the repo, every host a service talks to (Prometheus targets, AMQP URLs,
// Toxiproxy upstreams, Grafana's datasource, k6's API and remote-write URLs) is a compose service,
// every system service's ORDER_SYSTEM_CONFIG is valid, Grafana's provisioned paths land on repo
// files, and the Prometheus config passes `promtool check config`. For the `harness` service: its
// image installs what a scenario needs, its arguments reach the scenario CLI as the README's
// commands mean them (the entry point runs here, with a stand-in `node`), its runs land on the host
// and its metrics go to the compose Prometheus, labelled apart from the compose services' own.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseScenarioArgs } from '../../../harness/cli/scenario-args.ts';
import {
  findPromtool,
  HARNESS_ORIGIN,
  PROMETHEUS_REMOTE_WRITE_URL_ENV,
  remoteWriteFromEnv,
} from '../../../harness/env/prometheus-server.ts';
import { REPO_ROOT } from '../../../harness/env/repo-root.ts';
import { SCRAPE_JOBS } from '../../../harness/metrics/run-targets.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';
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
  const interpolate = (s: string, vars: Record<string, string> = {}) =>
    s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_, n: string, d?: string) => vars[n] ?? d ?? '');
  /** Short-syntax mounts as [source, target, mode?]. */
  const volumes = (service: string) => ((services[service]?.volumes ?? []) as string[]).map((v) => v.split(':'));
  const hostOf = (url: string) => new URL(url).hostname;

  it('has the services the rig needs', () => {
    for (const s of [
      'rabbitmq',
      'toxiproxy',
      'prometheus',
      'grafana',
      'api',
      'orders-1',
      'payments-1',
      'inventory-1',
      'notifications-1',
      'dead-letter-1',
      'k6',
    ])
      expect(serviceNames).toContain(s);
    expect(services.rabbitmq!.image).toBe('rabbitmq:3.13-management');
    expect(services.toxiproxy!.image).toBe('ghcr.io/shopify/toxiproxy:2.12.0');
    expect(String(services.k6!.image)).toMatch(/^grafana\/k6(:|$)/);
  });

  /** Bind sources Docker may create as empty directories: the run results, gitignored, so absent in a fresh clone. */
  const createdDirs = new Set(['./runs']);

  it('mounts and builds only things that exist: repo paths or declared named volumes', () => {
    const named = new Set(Object.keys(compose.volumes ?? {}));
    for (const service of serviceNames) {
      for (const [source] of volumes(service)) {
        if (createdDirs.has(source!)) continue;
        if (source!.startsWith('.') || source!.startsWith('/')) expect(existsSync(repo(source!)), `${service}: ${source}`).toBe(true);
        else expect(named, `${service}: named volume ${source}`).toContain(source);
      }
      const build = services[service]!.build as { context: string; dockerfile: string } | undefined;
      if (build) expect(existsSync(repo(join(build.context, build.dockerfile))), `${service}: ${build.dockerfile}`).toBe(true);
      const dependsOn = services[service]!.depends_on ?? [];
      for (const dep of Array.isArray(dependsOn) ? (dependsOn as string[]) : Object.keys(dependsOn))
        expect(serviceNames, `${service} depends on ${dep}`).toContain(dep);
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
    const proxies = JSON.parse(readFileSync(repo('docker/toxiproxy/toxiproxy.json'), 'utf8')) as {
      name: string;
      listen: string;
      upstream: string;
    }[];
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
    const config = parse(file) as {
      scrape_configs: { job_name: string; metrics_path?: string; static_configs: { targets: string[] }[] }[];
    };

    it('passes promtool check config', () => {
      expect(execFileSync(findPromtool(), ['check', 'config', file], { encoding: 'utf8' })).toContain('SUCCESS');
    });

    it('is mounted where the prometheus service reads it, with the remote-write receiver on', () => {
      expect(
        volumes('prometheus').some(
          ([source, target]) => source === './docker/prometheus/prometheus.yml' && target === '/etc/prometheus/prometheus.yml',
        ),
      ).toBe(true);
      expect(services.prometheus!.command).toContain('--web.enable-remote-write-receiver');
    });

    it('scrapes only compose services, every system service at its metrics port, with the jobs the dashboards use', () => {
      const targets = config.scrape_configs.flatMap((j) =>
        j.static_configs.flatMap((s) => s.targets.map((t) => ({ job: j.job_name, host: t.split(':')[0]!, port: Number(t.split(':')[1]) }))),
      );
      for (const t of targets) expect(serviceNames, `${t.job} target ${t.host}`).toContain(t.host);
      for (const service of systemServices) {
        const c = parseConfig(env(service).ORDER_SYSTEM_CONFIG);
        expect(targets, service).toContainEqual({
          job: SCRAPE_JOBS.system,
          host: service,
          port: c.role === 'api' ? c.httpPort : c.metricsPort,
        });
      }
      const jobs = Object.fromEntries(config.scrape_configs.map((j) => [j.job_name, j.metrics_path ?? '/metrics']));
      expect(jobs[SCRAPE_JOBS.broker]).toBe('/metrics');
      expect(jobs[SCRAPE_JOBS.brokerPerObject]).toBe('/metrics/per-object');
    });

    it('labels every series it scrapes origin="compose", apart from what a scenario run remote-writes', () => {
      const origins = config.scrape_configs.flatMap((j) =>
        j.static_configs.map((s) => (s as { labels?: Record<string, string> }).labels?.origin),
      );
      expect(origins.length).toBeGreaterThan(0);
      for (const origin of origins) expect(origin).toBe('compose');
      expect(HARNESS_ORIGIN.origin).not.toBe('compose');
      const command = services.k6!.command as string[];
      expect(command[command.indexOf('--tag') + 1]).toBe('origin=compose');
    });
  });

  describe('Grafana provisioning', () => {
    const grafanaEnv = env('grafana');
    /** A path inside the grafana container, mapped back to the repo through its bind mounts. */
    const inRepo = (containerPath: string): string | undefined => {
      for (const [source, target] of volumes('grafana')) {
        if (containerPath === target || containerPath.startsWith(`${target}/`))
          return repo(posix.join(source!, containerPath.slice(target!.length)));
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
      const ds = parse(join(provisioning!, 'datasources', 'prometheus.yml')) as {
        datasources: { uid: string; type: string; url: string }[];
      };
      expect(ds.datasources).toHaveLength(1);
      expect(ds.datasources[0]).toMatchObject({ uid: 'prometheus', type: 'prometheus' });
      expect(serviceNames).toContain(hostOf(interpolate(ds.datasources[0]!.url, grafanaEnv)));
      for (const f of ['chaos-run.json', 'broker-overview.json']) {
        const d = JSON.parse(readFileSync(repo(`grafana/dashboards/${f}`), 'utf8')) as {
          templating: { list: { name: string; current?: { value?: unknown } }[] };
        };
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

  describe('the harness service', () => {
    const harness = services.harness!;
    const build = harness.build as { context: string; dockerfile: string };
    const dockerfile = readFileSync(repo(join(build.context, build.dockerfile)), 'utf8');
    /** Dockerfile instructions, continuation lines joined, comments dropped. */
    const instructions = dockerfile
      .replace(/\\\n/g, ' ')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const instruction = (name: string) =>
      instructions.filter((l) => l.toUpperCase().startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());
    const workdir = instruction('WORKDIR').at(-1)!;
    const entrypoint = JSON.parse(instruction('ENTRYPOINT').at(-1)!) as string[];
    const inRepo = (containerPath: string) =>
      containerPath.startsWith(`${workdir}/`) ? repo(containerPath.slice(workdir.length + 1)) : undefined;

    it('is only started on request (profile harness), never by a plain docker compose up', () => {
      expect(harness.profiles).toEqual(['harness']);
    });

    it('builds on node:20-bookworm with RabbitMQ and Prometheus from Debian, npm ci, and the repo copied in', () => {
      expect(instruction('FROM')[0]).toMatch(/^node:20-bookworm(\s|$)/);
      const install = instruction('RUN').find((r) => /apt-get install/.test(r));
      expect(install).toBeDefined();
      expect(install).toMatch(/apt-get update/);
      for (const pkg of ['rabbitmq-server', 'prometheus']) expect(install!.split(/\s+/)).toContain(pkg);
      expect(instruction('RUN').some((r) => /(^|&&\s*)npm ci(\s|$)/.test(r))).toBe(true);
      expect(instruction('COPY')).toContain('. .');
      // npm ci's node_modules must survive COPY . . and the host's runs must not bloat the image.
      const ignored = readFileSync(repo(`${build.dockerfile}.dockerignore`), 'utf8')
        .split('\n')
        .map((l) => l.trim());
      for (const entry of ['node_modules/', 'runs/', '.git/']) expect(ignored).toContain(entry);
    });

    it('enters through a script of the repo that runs the same CLI as npm run scenario', () => {
      const script = entrypoint.find((a) => a.endsWith('.sh'));
      expect(script).toBeDefined();
      expect(existsSync(inRepo(script!)!)).toBe(true);
      const npmScript = (JSON.parse(readFileSync(repo('package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.scenario!;
      const cli = npmScript.split(/\s+/).find((a) => a.endsWith('.ts'))!;
      expect(readFileSync(inRepo(script!)!, 'utf8')).toContain(cli);
    });

    describe('arguments, as docker compose run hands them to the entry point', () => {
      const bin = mkdtempSync(join(tmpdir(), 'harness-entry-'));
      afterAll(() => rmSync(bin, { recursive: true, force: true }));
      const argvFile = join(bin, 'argv');
      // Stands in for node: records what it would have been asked to run.
      writeFileSync(join(bin, 'node'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argvFile}'\n`);
      chmodSync(join(bin, 'node'), 0o755);
      const cliArgs = (args: string[]): string[] => {
        const [shell, ...rest] = entrypoint;
        execFileSync(shell!, [...rest.map((a) => inRepo(a) ?? a), ...args], {
          env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` },
        });
        const argv = readFileSync(argvFile, 'utf8').split('\n').slice(0, -1);
        const cli = argv.findIndex((a) => a.endsWith('scenario-main.ts'));
        expect(cli, argv.join(' ')).toBeGreaterThanOrEqual(0);
        return argv.slice(cli + 1);
      };

      it('runs one scenario with options, with or without the README\'s "--"', () => {
        for (const args of [
          ['broker-restart', '--', '--rate', '200'],
          ['broker-restart', '--rate', '200'],
        ]) {
          const argv = cliArgs(args);
          expect(argv).toEqual(['broker-restart', '--rate', '200']);
          expect(parseScenarioArgs(argv, SCENARIOS)).toMatchObject({ kind: 'run', scenario: { name: 'broker-restart' }, rate: 200 });
        }
      });

      it('runs the whole catalogue with -- --all or --all, and prints the usage with no arguments', () => {
        for (const args of [['--', '--all'], ['--all']]) expect(parseScenarioArgs(cliArgs(args), SCENARIOS)).toMatchObject({ kind: 'all' });
        expect(
          harness.command ??
            instruction('CMD')
              .map((c) => JSON.parse(c) as string[])
              .at(-1),
        ).toEqual(['--help']);
        expect(parseScenarioArgs(cliArgs(['--help']), SCENARIOS)).toEqual({ kind: 'help' });
      });
    });

    it('remote-writes to the compose prometheus service, whose receiver is on', () => {
      const url = env('harness')[PROMETHEUS_REMOTE_WRITE_URL_ENV]!;
      expect(hostOf(url)).toBe('prometheus');
      expect(new URL(url).pathname).toBe('/api/v1/write');
      const containerPort = Number(/:(\d+)$/.exec(interpolate(((services.prometheus!.ports ?? []) as string[])[0]!))![1]);
      expect(Number(new URL(url).port)).toBe(containerPort);
      expect(services.prometheus!.command).toContain('--web.enable-remote-write-receiver');
      expect(remoteWriteFromEnv(env('harness'), '/app/runs/broker-restart/2024-01-01T00-00-00-000Z/prometheus')).toEqual({
        url,
        externalLabels: { ...HARNESS_ORIGIN, scenario: 'broker-restart', run: '2024-01-01T00-00-00-000Z' },
      });
      expect(harness.depends_on).toContain('prometheus');
    });

    it('writes its runs to ./runs on the host, which docker creates if missing', () => {
      expect(env('harness').HARNESS_RUNS_DIR).toBeUndefined();
      // The container's REPO_ROOT is its WORKDIR; the CLI's default runs directory is REPO_ROOT/runs.
      const mount = volumes('harness').find(([, target]) => target === posix.join(workdir, 'runs'));
      expect(mount?.[0]).toBe('./runs');
      // Short syntax: the daemon creates a missing source as a directory (long syntax would need create_host_path).
      expect(createdDirs).toContain(mount![0]);
      expect(mount![2] ?? 'rw').toBe('rw');
    });

    it('gives a run time to heal its faults and stop its processes on docker stop', () => {
      const seconds = durationSeconds(String(harness.stop_grace_period));
      expect(seconds).toBeGreaterThanOrEqual(60);
      expect(harness.init, "an init passes SIGTERM on and reaps the brokers' leftovers").toBe(true);
    });
  });
});

/** A compose duration (`1m30s`, `60s`) in seconds. */
function durationSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.map((p) => p[0]).join('') !== text) throw new Error(`not a compose duration: ${text}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}
