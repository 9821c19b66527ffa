import { afterAll, describe, expect, it } from 'vitest';
import { runScenarioCli, type CliRun } from '../support/scenario-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

// Network faults through the proxy, both sides: the reference system passes, each claimed flaw is caught.
const runs = tempDir('network-runs');
afterAll(() => runs.remove());
const RUN_TIMEOUT_MS = 240_000;

const check = (run: CliRun, name: string) =>
  run.results!.checks[name]! as { valid: boolean | 'unknown'; summary: string } & Record<string, unknown>;

describe('latency', () => {
  it('the reference system loses nothing while the network is slow', async () => {
    const run = await runScenarioCli(['latency', '--duration', '12'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.results!.faults[0]!.description).toMatch(/100 ms ± 30 ms/);
  });
});

describe('connection-cut', () => {
  it('the reference system reconnects and loses nothing', async () => {
    const run = await runScenarioCli(['connection-cut', '--duration', '12'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });

  it('catches no-reconnect: after the network is back, nobody consumes and orders are stuck', async () => {
    const run = await runScenarioCli(['connection-cut', '--duration', '12', '--flaw', 'no-reconnect'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(check(run, 'liveness').valid).toBe(false);
    // Stuck by id: the final read found their messages in the broker, nobody consuming them.
    expect(check(run, 'liveness').summary).toMatch(
      /^stuck: \d+ accepted orders unfinished and \d+ confirmed messages never consumed, still held by the broker \(.*: \d+/,
    );
    expect((check(run, 'liveness').stuckOrderIds as string[]).length).toBeGreaterThan(0);
  });

  it('catches no-confirms: orders answered 202 while the link was dropping everything are lost', async () => {
    const run = await runScenarioCli(['connection-cut', '--duration', '12', '--flaw', 'no-confirms'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const zeroLoss = check(run, 'zero-loss');
    expect(zeroLoss.valid).toBe(false);
    expect(zeroLoss.lostOrders as number).toBeGreaterThan(10);
  });
});

describe('blackhole', () => {
  it('the reference system notices the dead connections through heartbeats and loses nothing', async () => {
    const run = await runScenarioCli(['blackhole', '--duration', '35'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(check(run, 'liveness').valid).toBe(true);
  });

  it('catches no-heartbeat: the verdict says stuck on dead connections, not silently fine', async () => {
    const run = await runScenarioCli(['blackhole', '--duration', '35', '--flaw', 'no-heartbeat'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const liveness = check(run, 'liveness');
    expect(liveness.valid).toBe(false);
    expect(liveness.summary).toMatch(/^stuck on dead connections: \d+ connections never noticed the blackhole/);
    const unnoticed = (liveness.unnoticedDeadConnections as { connection: string }[]).map((u) => u.connection);
    expect(unnoticed).toContain('api-1 publish');
    expect(unnoticed).toContain('payments-1 consume');
  });
});
