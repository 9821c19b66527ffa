import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedToxiproxy } from '../../chaos/toxiproxy/index.ts';
import { spawnScenarioCli } from '../support/scenario-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

const runs = tempDir('interrupt-runs');
afterAll(() => runs.remove());

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

/** Any process whose command line mentions the run directory (the broker's data dir is in its arguments). */
function processesMentioning(path: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(path) && isAlive(Number(pid));
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('a run interrupted with SIGINT mid-fault', () => {
  it('heals, stops every process it started, and exits 2', async () => {
    const cli = spawnScenarioCli(['broker-restart', '--duration', '20'], runs.path);
    try {
      // The fault starts 5 s into the load (25% of 20 s); interrupt while it is active.
      await waitFor(() => /fault: broker-restart/.test(cli.output()), 120_000);
      cli.child.kill('SIGINT');
      const run = await cli.done;
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/run interrupted: interrupted by SIGINT/);
      const runDir = run.results!.runDir;
      expect(run.results!.interrupted).toBe('interrupted by SIGINT');

      const started = readFileSync(join(runDir, 'processes.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { pid: number; label: string });
      expect(started.some((p) => p.label.startsWith('rabbitmq'))).toBe(true);
      expect(
        started.filter((p) => /^(api|orders|payments|inventory|notifications|dead-letter)-\d+$/.test(p.label)).length,
      ).toBeGreaterThanOrEqual(10);
      for (const p of started) expect(isAlive(p.pid), `${p.label} (pid ${p.pid}) outlived the run`).toBe(false);
      expect(processesMentioning(runDir)).toEqual([]);
      const harnessHistory = readFileSync(join(runDir, 'history', 'harness.jsonl'), 'utf8');
      expect(harnessHistory).toContain('"phase":"stop"');
      expect(existsSync(join(runDir, 'results.json'))).toBe(true);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
  });
});

describe('a run interrupted with SIGINT during a network fault, on a shared Toxiproxy', () => {
  it('heals the proxy before it lets go of it, and leaves nothing behind', async () => {
    // Stands in for a real Toxiproxy the user shares (TOXIPROXY_URL): we can watch it from outside the run.
    await using toxiproxy = await startEmbeddedToxiproxy();
    const cli = spawnScenarioCli(['blackhole', '--duration', '30'], runs.path, { TOXIPROXY_URL: toxiproxy.url });
    try {
      await waitFor(() => /fault: blackhole/.test(cli.output()), 120_000);
      const toxicsDuringFault = await toxicsOf(toxiproxy.url);
      expect(toxicsDuringFault.length).toBeGreaterThan(0);
      cli.child.kill('SIGINT');
      // Watch the shared server while the run shuts down: the last state seen before our proxies are deleted must be healed.
      let lastSeen: { toxics: string[]; enabled: boolean }[] = [];
      while (cli.child.exitCode === null) {
        const proxies = await proxiesOf(toxiproxy.url);
        if (proxies.length === 0) break;
        lastSeen = proxies;
        await new Promise((r) => setTimeout(r, 50));
      }
      const run = await cli.done;
      expect(run.code).toBe(2);
      expect(lastSeen.length).toBeGreaterThan(0);
      for (const p of lastSeen) expect(p).toEqual({ toxics: [], enabled: true });
      expect(await proxiesOf(toxiproxy.url)).toEqual([]);
      const started = readFileSync(join(run.results!.runDir, 'processes.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { pid: number; label: string });
      for (const p of started) expect(isAlive(p.pid), `${p.label} (pid ${p.pid}) outlived the run`).toBe(false);
      expect(readFileSync(join(run.results!.runDir, 'history', 'harness.jsonl'), 'utf8')).toMatch(/"name":"blackhole","phase":"stop"/);
    } finally {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    }
  });
});

async function proxiesOf(url: string): Promise<{ toxics: string[]; enabled: boolean }[]> {
  const body = (await (await fetch(`${url}/proxies`)).json()) as Record<string, { enabled: boolean; toxics: { name: string }[] }>;
  return Object.values(body).map((p) => ({ toxics: p.toxics.map((t) => t.name), enabled: p.enabled }));
}

async function toxicsOf(url: string): Promise<string[]> {
  return (await proxiesOf(url)).flatMap((p) => p.toxics);
}
