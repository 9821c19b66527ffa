// Question: does `docker compose up` start each service only once what it needs answers, with one
// RabbitMQ version, and does a classic-builder `COPY . .` leave the host's node_modules and runs
// out of the images? Checked without Docker: the compose file's healthchecks and depends_on, the
// API's healthcheck command run here against a stand-in /health, the RabbitMQ image references
// across compose, the Dockerfiles and the harness's code, and the root .dockerignore.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '../../../harness/env/repo-root.ts';

type Service = {
  image?: string;
  build?: { context: string; dockerfile: string };
  healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number };
  depends_on?: string[] | Record<string, { condition?: string }>;
};

const repo = (p: string) => join(REPO_ROOT, p);
const compose = parseYaml(readFileSync(repo('docker-compose.yml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
const API_PORT_IN_CONTAINER = 8080;
/** `image:tag` of an official RabbitMQ image (not the locally built rabbit-chaos/rabbitmq). */
const RABBITMQ_IMAGE_REF = /(?<![\w/.-])rabbitmq:\d+\.\d+[\w.-]*/g;

const dependencies = (s: Service): Record<string, string> =>
  Array.isArray(s.depends_on)
    ? Object.fromEntries(s.depends_on.map((d) => [d, 'service_started']))
    : Object.fromEntries(Object.entries(s.depends_on ?? {}).map(([d, c]) => [d, c.condition ?? 'service_started']));

const filesUnder = (dir: string, keep: (file: string) => boolean): string[] =>
  readdirSync(repo(dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(repo(path)).isDirectory()) return name === 'node_modules' ? [] : filesUnder(path, keep);
    return keep(path) ? [path] : [];
  });

describe('docker-compose.yml: start order', () => {
  it.each(['rabbitmq', 'toxiproxy', 'prometheus', 'api'])(
    '%s has an exec-form healthcheck with an interval, a timeout and retries',
    (name) => {
      const check = services[name]!.healthcheck;
      expect(check, name).toBeDefined();
      expect(check!.test[0]).toBe('CMD');
      expect(check!.test.length).toBeGreaterThan(1);
      expect(check!.interval).toMatch(/^\d+s$/);
      expect(check!.timeout).toMatch(/^\d+s$/);
      expect(check!.retries).toBeGreaterThan(0);
    },
  );

  it('checks each service with a tool its image has', () => {
    // Toxiproxy's image is FROM scratch with /toxiproxy and /toxiproxy-cli; Prometheus' is busybox-based.
    expect(services.toxiproxy!.image).toMatch(/^ghcr\.io\/shopify\/toxiproxy:/);
    expect(services.toxiproxy!.healthcheck!.test.slice(1)).toEqual(['/toxiproxy-cli', 'list']);
    expect(services.prometheus!.image).toMatch(/^prom\/prometheus:v2\./);
    expect(services.prometheus!.healthcheck!.test[1]).toBe('wget');
    expect(services.prometheus!.healthcheck!.test.at(-1)).toBe('http://127.0.0.1:9090/-/ready');
    // The API runs on the order-system image, a node image.
    const dockerfile = readFileSync(repo(join(services.api!.build!.context, services.api!.build!.dockerfile)), 'utf8');
    expect(dockerfile).toMatch(/^FROM node:\d+/m);
    expect(services.api!.healthcheck!.test.slice(1, 3)).toEqual(['node', '-e']);
  });

  it('makes k6 wait for an API that is healthy (connected to the broker) and a Prometheus that is ready', () => {
    expect(dependencies(services.k6!)).toMatchObject({ api: 'service_healthy', prometheus: 'service_healthy' });
  });

  it('waits for health only on services that have a healthcheck, and every system service waits for the broker and the proxy', () => {
    for (const [name, service] of Object.entries(services))
      for (const [dep, condition] of Object.entries(dependencies(service)))
        if (condition === 'service_healthy') expect(services[dep]?.healthcheck, `${name} waits for ${dep} to be healthy`).toBeDefined();
    expect(dependencies(services['payments-1']!)).toMatchObject({ rabbitmq: 'service_healthy', toxiproxy: 'service_healthy' });
  });

  describe("the API's healthcheck command, run here against a stand-in /health", () => {
    let server: Server | undefined;
    afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

    /** Runs the healthcheck's node -e script with the container's API port replaced by a local one; its exit code. */
    const runCheck = async (port: number): Promise<number> => {
      const script = services.api!.healthcheck!.test[3]!;
      expect(script).toContain(`:${API_PORT_IN_CONTAINER}/health`);
      try {
        await promisify(execFile)(process.execPath, ['-e', script.replace(`:${API_PORT_IN_CONTAINER}/`, `:${port}/`)], { timeout: 10_000 });
        return 0;
      } catch (error) {
        return (error as { code?: number }).code ?? -1;
      }
    };
    const serve = async (status: number): Promise<number> => {
      server = createServer((req, res) => {
        res.writeHead(req.url === '/health' ? status : 404).end();
      });
      await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
      return (server.address() as AddressInfo).port;
    };

    it('passes on 200 and fails on 503 (broker not connected) or when nothing listens', async () => {
      expect(await runCheck(await serve(200))).toBe(0);
      await new Promise<void>((done) => server!.close(() => done()));
      server = undefined;
      expect(await runCheck(await serve(503))).toBe(1);
      const closedPort = (server!.address() as AddressInfo).port;
      await new Promise<void>((done) => server!.close(() => done()));
      server = undefined;
      expect(await runCheck(closedPort)).toBe(1);
    });
  });
});

describe('one RabbitMQ version', () => {
  const composeImage = services.rabbitmq!.image!;

  it('compose runs the official management image of one major.minor', () => {
    expect(composeImage).toMatch(/^rabbitmq:\d+\.\d+(\.\d+)?-management$/);
  });

  it('every official RabbitMQ image named in the Dockerfiles, the image scripts and the harness code is the compose one', () => {
    const files = [...filesUnder('docker', (f) => /(^|\/)Dockerfile$|\.sh$/.test(f)), ...filesUnder('harness', (f) => f.endsWith('.ts'))];
    const refs = files.flatMap((f) =>
      [...readFileSync(repo(f), 'utf8').matchAll(RABBITMQ_IMAGE_REF)].map((m) => ({ file: relative(REPO_ROOT, repo(f)), ref: m[0] })),
    );
    for (const { file, ref } of refs) expect(ref, file).toBe(composeImage);
  });

  it('the local build is tagged with the version of the package it installed, never as the official image', () => {
    const script = readFileSync(repo('docker/images/build-rabbitmq.sh'), 'utf8');
    expect(script).toMatch(/REPOSITORY="\$\{RABBIT_CHAOS_IMAGE_REPOSITORY:-rabbit-chaos\/rabbitmq\}"/);
    expect(script).toContain("dpkg-query -W -f '${Version}' rabbitmq-server");
    expect(script).toContain('[rabbitmq_management,rabbitmq_prometheus].');
    // The mirror is the machine's: no apt host is written in the script.
    expect(script).not.toMatch(/https?:\/\/[\w.-]*debian/);
  });
});

describe('.dockerignore (the classic builder reads only the one at the context root)', () => {
  const entries = readFileSync(repo('.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it("keeps out node_modules (the image's npm ci fills it), runs, .git and logs", () => {
    for (const entry of ['node_modules/', '**/node_modules/', 'runs/', '.git/', '**/*.log']) expect(entries).toContain(entry);
  });

  it('keeps in everything the Dockerfiles copy by name', () => {
    const copied = ['docker/harness/Dockerfile', 'docker/order-system/Dockerfile'].flatMap((f) =>
      readFileSync(repo(f), 'utf8')
        .split('\n')
        .filter((l) => /^COPY\s/.test(l) && !l.includes('--from'))
        .flatMap((l) => l.trim().split(/\s+/).slice(1, -1)),
    );
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'system/', '.']));
    for (const source of copied.filter((s) => s !== '.')) {
      const name = source.replace(/\/$/, '');
      for (const entry of entries)
        expect(name === entry.replace(/\/$/, '') || name.startsWith(entry), `${entry} excludes ${source}`).toBe(false);
    }
    // What the harness image runs from the repo.
    for (const needed of ['harness', 'scenarios', 'chaos', 'load', 'system', 'instrument', 'grafana', 'docker/harness'])
      expect(entries.some((e) => e.replace(/\/$/, '') === needed)).toBe(false);
  });
});
