import { afterAll, describe, expect, it } from 'vitest';
import { runScenarioCli } from '../support/scenario-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

const runs = tempDir('process-runs');
afterAll(() => runs.remove());
const RUN_TIMEOUT_MS = 240_000;

describe('consumer-crash', () => {
  it('the reference system redelivers what a killed worker held and loses nothing', async () => {
    const run = await runScenarioCli(['consumer-crash', '--duration', '20'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\d+ abandoned and redelivered/);
  });

  it('catches auto-ack: what the killed worker held is gone', async () => {
    const run = await runScenarioCli(['consumer-crash', '--duration', '20', '--flaw', 'auto-ack'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.results!.checks['zero-loss']!.valid).toBe(false);
    expect(run.results!.checks['acknowledgements']!.summary).toMatch(/lost to auto-ack/);
  });
});

describe('memory-alarm', () => {
  it('the reference system stops promising while publishers are blocked, and loses nothing', async () => {
    const run = await runScenarioCli(['memory-alarm', '--duration', '20'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    // While the alarm blocked publishers the API answered 503 instead of promising; the client retried those orders.
    expect(run.results!.load!.retries.needed).toBeGreaterThan(0);
    expect(run.results!.checks['effects']).toMatchObject({ valid: true, partialOrders: 0 });
  });
});

describe('chaos-mix', () => {
  it('survives a seeded random fault schedule, printed at the start and stored in results.json', async () => {
    const run = await runScenarioCli(['chaos-mix', '--seed', '3', '--duration', '45'], runs.path, 300_000);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.results!.options.seed).toBe(3);
    expect(run.results!.faults.length).toBeGreaterThan(1);
    for (const f of run.results!.faults) expect(run.stderr).toContain(`fault schedule: ${f.name} at ${f.at}s for ${f.duration}s`);
  });
});
