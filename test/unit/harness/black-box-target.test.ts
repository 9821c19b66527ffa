import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlackBoxTargetError, loadBlackBoxTarget, ReadbackError, readProcessed } from '../../../harness/target/black-box-target.ts';
import { UnknownPlaceholderError } from '../../../harness/target/placeholders.ts';
import { InvalidTargetJsonError } from '../../../harness/target/target-json.ts';
import type { TargetStartContext } from '../../../harness/target/target.ts';
import { tempDir } from '../../support/temp-dir.ts';

const EXAMPLE = resolve(import.meta.dirname, '../../../examples/plain-orders');
const dirs = tempDir('black-box-target');
afterAll(() => dirs.remove());

const context = (flaws: string[] = []): TargetStartContext => ({
  runDir: '/runs/r1',
  historyDir: '/runs/r1/history',
  dataDir: '/runs/r1/data',
  endpoints: { publishUrl: 'amqp://u:p@127.0.0.1:1001', consumeUrl: 'amqp://u:p@127.0.0.1:1002', directUrl: 'amqp://u:p@127.0.0.1:1003' },
  flaws,
  settings: {},
});

/** A target directory holding `json` as its target.json (an object is written as JSON, a string as is). */
function targetDir(name: string, json: unknown): string {
  const dir = join(dirs.path, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'target.json'), typeof json === 'string' ? json : JSON.stringify(json));
  return dir;
}

const minimal = {
  name: 'tiny',
  description: 'a tiny target',
  processes: [
    { instance: 'api-1', role: 'api', command: 'node', args: ['api.mjs'], env: { PORT: '${HTTP_PORT}' }, ready: { kind: 'json-line' } },
  ],
  api: { url: 'http://127.0.0.1:${HTTP_PORT}', health: 'http://127.0.0.1:${HTTP_PORT}/health' },
  workload: { path: '/orders', body: 'id-only', okStatuses: [202], refusedStatuses: [503] },
  readback: { url: 'http://127.0.0.1:${HTTP_PORT}/processed' },
  queues: ['q'],
};

describe('loadBlackBoxTarget on examples/plain-orders', () => {
  it('describes the example as data: workload, topology, checks, flaws', async () => {
    const target = await loadBlackBoxTarget(EXAMPLE);
    expect(target.name).toBe('plain-orders');
    expect(target.workload).toEqual({ path: '/orders', body: 'id-only', okStatuses: [202], refusedStatuses: [503] });
    expect(target.baselineChecks).toEqual(['set']);
    expect(Object.keys(target.flaws)).toEqual(['fire-and-forget']);
    expect(target.topology.workQueues).toEqual(['plain-orders']);
    expect(target.topology.deadLetterQueue).toBeUndefined();
    expect(target.topology.retryQueues('plain-orders')).toEqual([]);
    expect(target.topology.routesTo('', 'plain-orders')).toEqual(['plain-orders']);
    expect(target.topology.routesTo('orders', 'plain-orders')).toEqual([]);
    expect(target.topology.maxRetries).toBe(0);
  });

  it('fills every placeholder: the run AMQP URLs and directories, the Node binary, one free port per name', async () => {
    const target = await loadBlackBoxTarget(EXAMPLE);
    const specs = await target.processes(context());
    expect(specs.map((s) => [s.instance, s.role])).toEqual([
      ['producer-1', 'api'],
      ['consumer-1', 'orders'],
      ['readback-1', 'readback'],
    ]);
    const [producer, consumer, readback] = specs;
    expect(producer!.command).toBe(process.execPath);
    expect(producer!.cwd).toBe(EXAMPLE);
    expect(producer!.env['AMQP_PUBLISH_URL']).toBe('amqp://u:p@127.0.0.1:1001');
    expect(consumer!.env).toEqual({ AMQP_CONSUME_URL: 'amqp://u:p@127.0.0.1:1002', DATA_DIR: '/runs/r1/data' });
    const apiPort = Number(producer!.env['HTTP_PORT']);
    const readbackPort = Number(readback!.env['HTTP_PORT']);
    expect(apiPort).toBeGreaterThan(1024);
    expect(readbackPort).toBeGreaterThan(1024);
    expect(readbackPort).not.toBe(apiPort);
    expect(producer!.ready).toEqual({ kind: 'http', url: `http://127.0.0.1:${apiPort}/health` });
    expect(consumer!.ready).toEqual({ kind: 'json-line' });
    // Only the readback outlives the final read: the harness reads it after the consumers stopped.
    expect(specs.map((s) => s.servesReadback ?? false)).toEqual([false, false, true]);
    expect(JSON.stringify(specs)).not.toContain('${');
    // The URLs the harness uses name the same ports (a restart reuses the env, so keeps them too).
    const started = target.started(context(), new Map());
    expect(started.apiUrl).toBe(`http://127.0.0.1:${apiPort}`);
  });

  it('adds a planted flaw environment to every process, and refuses a flaw it does not declare', async () => {
    const target = await loadBlackBoxTarget(EXAMPLE);
    for (const spec of await target.processes(context(['fire-and-forget']))) expect(spec.env['FLAW']).toBe('fire-and-forget');
    for (const spec of await target.processes(context())) expect(spec.env['FLAW']).toBeUndefined();
    await expect(target.processes(context(['no-confirms']))).rejects.toThrow(BlackBoxTargetError);
    await expect(target.processes(context(['no-confirms']))).rejects.toThrow(/unknown flaw no-confirms; expected one of fire-and-forget/);
  });

  it('cannot say where the API is before processes() chose its ports', async () => {
    const target = await loadBlackBoxTarget(EXAMPLE);
    expect(() => target.started(context(), new Map())).toThrow(/started\(\) before processes\(\)/);
  });
});

describe('loadBlackBoxTarget refuses what it cannot run, naming the field', () => {
  it('a directory without target.json', async () => {
    await expect(loadBlackBoxTarget(join(dirs.path, 'nowhere'))).rejects.toThrow(
      /nowhere\/target\.json: cannot read it \(ENOENT\); expected a target directory holding target\.json/,
    );
  });

  it('text that is not JSON', async () => {
    await expect(loadBlackBoxTarget(targetDir('not-json', '{ nope'))).rejects.toThrow(InvalidTargetJsonError);
  });

  it('missing and malformed fields, each by its path', async () => {
    const { queues: _queues, ...noQueues } = minimal;
    const bad = {
      ...noQueues,
      workload: { ...minimal.workload, body: 'xml', okStatuses: [] },
      processes: [{ ...minimal.processes[0], ready: { kind: 'tcp' } }],
    };
    const error = (await loadBlackBoxTarget(targetDir('bad-fields', bad)).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(InvalidTargetJsonError);
    expect(error.message).toMatch(/queues: /);
    expect(error.message).toMatch(/workload\.body: /);
    expect(error.message).toMatch(/workload\.okStatuses: expected at least one status/);
    expect(error.message).toMatch(/processes\.0\.ready/);
  });

  it('a status both accepted and refused, no api process, one instance twice', async () => {
    await expect(
      loadBlackBoxTarget(targetDir('overlap', { ...minimal, workload: { ...minimal.workload, refusedStatuses: [202] } })),
    ).rejects.toThrow(/expected okStatuses and refusedStatuses to share no status/);
    const noApi = { ...minimal, processes: [{ ...minimal.processes[0], role: 'orders' }] };
    await expect(loadBlackBoxTarget(targetDir('no-api', noApi))).rejects.toThrow(/processes: expected one process with role "api"/);
    const twice = { ...minimal, processes: [minimal.processes[0], minimal.processes[0]] };
    await expect(loadBlackBoxTarget(targetDir('twice', twice))).rejects.toThrow(/processes: expected every process instance name once/);
  });

  it('a placeholder the harness does not fill, before anything starts', async () => {
    const typo = { ...minimal, processes: [{ ...minimal.processes[0], env: { URL: '${AMQP_URL}' } }] };
    const error = (await loadBlackBoxTarget(targetDir('typo', typo)).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(UnknownPlaceholderError);
    expect(error.message).toMatch(/processes\.0\.env\.URL: unknown placeholder \$\{AMQP_URL\}; expected one of \$\{AMQP_PUBLISH_URL\}/);
  });
});

describe('the readback and health of a started black box', () => {
  let answer: { status: number; body: string } = { status: 200, body: '[]' };
  const server: Server = createServer((req, res) => {
    res.writeHead(req.url === '/health' ? 200 : answer.status, { 'content-type': 'application/json' });
    res.end(req.url === '/health' ? '{}' : answer.body);
  });
  const url = new Promise<string>((ok) =>
    server.listen(0, '127.0.0.1', () => ok(`http://127.0.0.1:${(server.address() as { port: number }).port}`)),
  );
  afterAll(() => new Promise((done) => server.close(done)));

  it('reads the processed ids with their repeats', async () => {
    answer = { status: 200, body: '["a","b","a"]' };
    expect(await readProcessed(`${await url}/processed`)).toEqual(['a', 'b', 'a']);
  });

  it('refuses anything but a JSON array of strings, naming the URL', async () => {
    const base = await url;
    answer = { status: 200, body: '{"ids":["a"]}' };
    await expect(readProcessed(`${base}/processed`)).rejects.toThrow(ReadbackError);
    await expect(readProcessed(`${base}/processed`)).rejects.toThrow(`GET ${base}/processed: expected a JSON array of id strings`);
    answer = { status: 200, body: '[1,2]' };
    await expect(readProcessed(`${base}/processed`)).rejects.toThrow(/expected a JSON array of id strings/);
    answer = { status: 500, body: 'oops' };
    await expect(readProcessed(`${base}/processed`)).rejects.toThrow(/HTTP 500; expected 200 with a JSON array of ids/);
    await expect(readProcessed('http://127.0.0.1:1/processed')).rejects.toThrow(/GET http:\/\/127\.0\.0\.1:1\/processed: no answer/);
  });

  it('is healthy when its health URL answers 2xx, not when nothing listens', async () => {
    const base = await url;
    const dir = targetDir('served', { ...minimal, api: { url: base, health: `${base}/health` }, readback: { url: `${base}/processed` } });
    const startedAt = async (targetPath: string) => {
      const target = await loadBlackBoxTarget(targetPath);
      await target.processes(context());
      return target.started(context(), new Map());
    };
    const started = await startedAt(dir);
    expect(await started.healthy()).toBe(true);
    answer = { status: 200, body: '["x"]' };
    expect(await started.readProcessed!()).toEqual(['x']);
    const deadDir = targetDir('dead', { ...minimal, api: { url: 'http://127.0.0.1:1', health: 'http://127.0.0.1:1/health' } });
    expect(await (await startedAt(deadDir)).healthy()).toBe(false);
  });
});
