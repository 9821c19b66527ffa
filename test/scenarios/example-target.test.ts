import { afterAll, describe, expect, it } from 'vitest';
import { runScenarioCli } from '../support/scenario-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

// Does the harness test a system it did not write? examples/plain-orders is a plain amqplib service
// that imports nothing of ours, started from its target.json and judged end to end by the set
// checker on what it reads back. Both sides of each fault: its correct configuration keeps every
// accepted order (exit 0); its seeded defect, written as the article writes it, loses or strands
// orders (exit 1), and the verdict names them.
const runs = tempDir('example-target-runs');
afterAll(() => runs.remove());
const RUN_TIMEOUT_MS = 240_000;
const TARGET = ['--target', 'examples/plain-orders'];

interface SetResult {
  valid: boolean | 'unknown';
  summary: string;
  accepted: number;
  visible: number;
  lostCount: number;
  stuckCount: number;
  duplicatedCount: number;
  unexpectedCount: number;
  lostIds: string[];
  stuckIds: string[];
}

async function run(args: string[]): Promise<{ code: number | null; set: SetResult; output: string; checks: string[] }> {
  const cli = await runScenarioCli([...args, ...TARGET], runs.path, RUN_TIMEOUT_MS);
  const output = cli.stdout + cli.stderr;
  expect(cli.results, output).toBeDefined();
  return { code: cli.code, set: cli.results!.checks['set'] as unknown as SetResult, output, checks: Object.keys(cli.results!.checks) };
}

/** The correct configuration: every accepted order visible exactly once, nothing else. */
function expectKept(r: Awaited<ReturnType<typeof run>>): void {
  expect(r.code, r.output).toBe(0);
  expect(r.set.valid).toBe(true);
  // broker-kill's 20 s at 100/s, less what the API refused while the broker was down.
  expect(r.set.accepted).toBeGreaterThan(600);
  expect(r.set).toMatchObject({ lostCount: 0, stuckCount: 0, duplicatedCount: 0, unexpectedCount: 0 });
  // The black box is judged by the set checker, not the reference system's instrumented checks.
  expect(r.checks).toContain('set');
  expect(r.checks).not.toContain('zero-loss');
}

describe('the plain-orders example target under broker-kill', () => {
  it('keeps every accepted order with confirms, persistence and reconnects', async () => {
    expectKept(await run(['broker-kill']));
  });

  it('loses orders with the fire-and-forget flaw: transient messages die with the broker', async () => {
    const r = await run(['broker-kill', '--flaw', 'fire-and-forget']);
    expect(r.code, r.output).toBe(1);
    expect(r.set.valid).toBe(false);
    expect(r.set.lostCount).toBeGreaterThan(0);
    expect(r.set.lostIds.length).toBeGreaterThan(0);
    expect(r.set.summary).toMatch(/accepted orders lost \(order-/);
    expect(r.output).toMatch(/^set +INVALID/m);
  });
});

describe('the plain-orders example target under connection-cut', () => {
  it('keeps every accepted order and reconnects once the network is back', async () => {
    expectKept(await run(['connection-cut']));
  });

  it('loses what the cut swallowed and strands the rest with the fire-and-forget flaw', async () => {
    const r = await run(['connection-cut', '--flaw', 'fire-and-forget']);
    expect(r.code, r.output).toBe(1);
    expect(r.set.valid).toBe(false);
    // 202 with no confirm while the link dropped everything: lost. No reconnect: what was queued stays there.
    expect(r.set.lostCount + r.set.stuckCount).toBeGreaterThan(0);
    expect([...r.set.lostIds, ...r.set.stuckIds].length).toBeGreaterThan(0);
    expect(r.set.summary).toMatch(/accepted orders (lost|stuck in the broker)/);
  });
});
