import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startOrderServer, type StartedOrderServer } from './order-server.ts';

// `npm run load` end to end (tsx load/main.ts in a child process) against a local stand-in order API.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(ROOT, 'load', 'main.ts');
const TSX_LOADER = join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const CHILD_TIMEOUT_MS = 30_000;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function runLoad(args: string[], opts: { cwd?: string; interruptAfterMs?: number } = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    if (opts.interruptAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), opts.interruptAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

let server: StartedOrderServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('npm run load', () => {
  it('exits 0 when the profile thresholds hold, after printing rate, counts and percentiles', async () => {
    server = await startOrderServer(() => 2);
    const exit = await runLoad(['--url', server.url, '--rate', '20', '--duration', '1']);
    expect(exit.stderr).toMatch(/load: profile smoke/);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/achieved 20\.\d\/s/);
    expect(exit.stdout).toMatch(/planned 20, sent 20, ok 20, failed 0/);
    expect(exit.stdout).toMatch(/from due time: +p50=[\d.]+ms p90=[\d.]+ms p99=[\d.]+ms max=[\d.]+ms/);
    expect(exit.stdout).toMatch(/thresholds PASSED/);
    expect(server.received).toHaveLength(20);
  });

  it('exits 1 when a threshold fails (every order refused with 500)', async () => {
    server = await startOrderServer();
    server.status = 500;
    const exit = await runLoad(['--url', server.url, '--rate', '10', '--duration', '1', '--json']);
    expect(exit.code).toBe(1);
    const result = JSON.parse(exit.stdout) as {
      summary: { sent: number; failed: number };
      verdict: { passed: boolean; checks: { name: string; ok: boolean }[] };
    };
    expect(result.summary).toMatchObject({ sent: 10, failed: 10 });
    expect(result.verdict.checks.find((c) => c.name === 'failed-rate')?.ok).toBe(false);
  });

  it('exits 2 on bad options, listing what was expected', async () => {
    const exit = await runLoad(['--rate', 'lots']);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/--rate: expected an integer >= 1, got "lots"/);
    expect(exit.stderr).toMatch(/usage: npm run load/);

    const unknown = await runLoad(['--profile', 'stress', '--url', 'http://127.0.0.1:1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown load profile "stress": expected one of smoke, load, spike, soak/);
  });

  it('exits 2 when there is no --url and no runs/latest/endpoints.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'load-main-'));
    try {
      const exit = await runLoad(['--duration', '1'], { cwd: dir });
      expect(exit.code).toBe(2);
      expect(exit.stderr).toMatch(/no --url given and .*runs\/latest\/endpoints\.json does not exist/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops on SIGINT well before the end of a long schedule and still reports', async () => {
    server = await startOrderServer(() => 2);
    const exit = await runLoad(['--url', server.url, '--rate', '10', '--duration', '60'], { interruptAfterMs: 2500 });
    expect(exit.stdout).toMatch(/\(stopped early\)/);
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(10_000);
    expect(exit.stderr).toMatch(/rate=[\d.]+\/s sent=\d+ ok=\d+ failed=0 dropped=0 inFlight=\d+/);
  });
});
