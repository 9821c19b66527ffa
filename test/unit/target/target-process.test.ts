import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../harness/env/free-port.ts';
import { StartedProcesses } from '../../../harness/target/started-processes.ts';
import { StartedTargetProcess, TargetProcessError } from '../../../harness/target/target-process.ts';
import type { TargetProcessSpec } from '../../../harness/target/target.ts';
import { tempDir } from '../../support/temp-dir.ts';

// Does the harness start any target's process from its spec alone, know when it is ready by either
// rule, and keep its ports across a restart? Tiny node scripts stand in for a target's processes.
const dir = tempDir('target-process');
afterAll(() => dir.remove());

/** Prints a ready line with the port it was given, then idles until stdin closes (the lifeline). */
const JSON_READY =
  `process.stdout.write(JSON.stringify({ ready: true, httpPort: Number(process.env.PORT) }) + '\\n'); ` +
  `process.stdin.resume(); process.stdin.on('end', () => process.exit(0));`;
/** Serves GET / with 200 on PORT after a short delay. */
const HTTP_READY =
  `setTimeout(() => require('node:http').createServer((q, s) => s.end('ok'))` + `.listen(Number(process.env.PORT), '127.0.0.1'), 300);`;

const spec = (instance: string, script: string, env: Record<string, string>, ready: TargetProcessSpec['ready']): TargetProcessSpec => ({
  instance,
  role: instance.replace(/-\d+$/, ''),
  command: process.execPath,
  args: ['-e', script],
  cwd: dir.path,
  env,
  ready,
});

describe('a target process started from its spec', () => {
  it('is ready on its JSON line, reports its ports, and keeps them across a kill and restart', async () => {
    const port = await freePort();
    const p = await StartedTargetProcess.start(
      spec('api-1', JSON_READY, { PORT: String(port) }, { kind: 'json-line' }),
      join(dir.path, 'logs', 'api-1.log'),
    );
    try {
      expect(p.ready).toMatchObject({ instance: 'api-1', httpPort: port, pid: p.pid });
      const first = p.pid;
      await p.kill();
      expect(p.running).toBe(false);
      await p.start();
      expect(p.pid).not.toBe(first);
      expect(p.ready?.httpPort).toBe(port);
    } finally {
      await p.dispose();
    }
    expect(readFileSync(join(dir.path, 'logs', 'api-1.log'), 'utf8')).toMatch(/exited \(SIGKILL\)/);
  });

  it('is ready when its HTTP check answers 2xx', async () => {
    const port = await freePort();
    const p = await StartedTargetProcess.start(
      spec('web-1', HTTP_READY, { PORT: String(port) }, { kind: 'http', url: `http://127.0.0.1:${port}/` }),
      join(dir.path, 'logs', 'web-1.log'),
    );
    try {
      expect(p.running).toBe(true);
      expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
    } finally {
      await p.dispose();
    }
    expect(p.running).toBe(false);
  });

  it('says which process died before it was ready, with its last words', async () => {
    const dying = spec('broken-1', `console.error('cannot reach the broker'); process.exit(3)`, {}, { kind: 'json-line' });
    const error = await StartedTargetProcess.start(dying, join(dir.path, 'logs', 'broken-1.log')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetProcessError);
    expect((error as Error).message).toMatch(/broken-1 exited before it was ready \(code 3\)[\s\S]*cannot reach the broker/);
  });

  it('names a command that cannot be found', async () => {
    const missing = { ...spec('ghost-1', '', {}, { kind: 'json-line' as const }), command: join(dir.path, 'no-such-binary') };
    await expect(StartedTargetProcess.start(missing, join(dir.path, 'logs', 'ghost-1.log'))).rejects.toThrow(
      /ghost-1: could not start .*no-such-binary/,
    );
  });
});

describe('all of a target’s processes', () => {
  it('start in spec order, are found by instance and role, and stop together', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const processes = await StartedProcesses.start(dir.path, [
      spec('api-1', JSON_READY, { PORT: String(a) }, { kind: 'json-line' }),
      spec('worker-1', JSON_READY, { PORT: String(b) }, { kind: 'json-line' }),
    ]);
    try {
      expect(processes.processes.map((p) => p.instance)).toEqual(['api-1', 'worker-1']);
      expect(processes.instancesOf('worker').map((p) => p.instance)).toEqual(['worker-1']);
      expect(processes.find('api-1')?.running).toBe(true);
      expect(processes.readyInfo().get('worker-1')?.httpPort).toBe(b);
    } finally {
      await processes.stop();
    }
    expect(processes.processes.every((p) => !p.running)).toBe(true);
  });

  it('stops the ones that started when another fails', async () => {
    const port = await freePort();
    const error = await StartedProcesses.start(dir.path, [
      spec('api-1', JSON_READY, { PORT: String(port) }, { kind: 'json-line' }),
      spec('broken-1', 'process.exit(1)', {}, { kind: 'json-line' }),
    ]).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/broken-1 exited before it was ready/);
    // The one that had started was stopped, not left running.
    expect(readFileSync(join(dir.path, 'logs', 'api-1.log'), 'utf8')).toMatch(/exited \(/);
  });
});
