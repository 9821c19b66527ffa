import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../harness/checkers/checker.ts';
import { runScenarioCli, type CliRun } from '../support/scenario-cli.ts';
import { tempDir } from '../support/temp-dir.ts';

// Both sides of each guarantee scenario, with default settings: the reference system passes
// (exit 0), and each flaw the scenario claims is caught (exit 1) by the checker that names it,
// with the numbers behind the verdict.
const runs = tempDir('guarantee-runs');
afterAll(() => runs.remove());
const RUN_TIMEOUT_MS = 240_000;

type Violations = Record<string, { count: number; examples: Record<string, unknown>[] }>;

function check(run: CliRun, name: string): CheckResult & { violations?: Violations } {
  const result = run.results?.checks[name];
  if (!result) throw new Error(`no ${name} result in the run:\n${run.stdout}${run.stderr}`);
  return result as CheckResult & { violations?: Violations };
}

describe('prefetch-fairness', () => {
  it('the reference prefetch shares the backlog by capacity: fast payments worker about 80%, no hoarding', async () => {
    const run = await runScenarioCli(['prefetch-fairness'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const fairness = check(run, 'prefetch-fairness') as CheckResult & { consumers: { queue: string; consumer: string; share: number; maxUnacked: number }[] };
    expect(fairness.valid).toBe(true);
    const payments = fairness.consumers.filter((c) => c.queue === 'payment.process');
    expect(payments.find((c) => c.consumer === 'payments-1')!.share).toBeGreaterThan(0.7);
    for (const c of payments) expect(c.maxUnacked).toBeLessThanOrEqual(20);
    expect(check(run, 'zero-loss').valid).toBe(true);
  });

  it('catches prefetch-unbounded: the slow consumer hoards a backlog the fast one could have taken', async () => {
    const run = await runScenarioCli(['prefetch-fairness', '--flaw', 'prefetch-unbounded'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const fairness = check(run, 'prefetch-fairness');
    expect(fairness.valid).toBe(false);
    expect(fairness.summary).toMatch(/hoarding/);
    const hoarding = fairness.violations!['hoarding']!;
    expect(hoarding.examples[0]).toMatchObject({ consumer: 'payments-2', queue: 'payment.process' });
    expect(hoarding.examples[0]!.p95AvoidableWaitMs as number).toBeGreaterThan(1_000);
    expect(fairness.violations!['over-prefetch']!.examples.map((e) => e.consumer)).toContain('payments-2');
    expect(run.stdout).toMatch(/prefetch-fairness +INVALID/);
  });
});

interface DeadLetterRouting extends CheckResult {
  perReason: Record<string, number>;
  violations: Violations;
}

describe('dlx', () => {
  it('the reference dead-letters poison (rejected after retries), expired flash payments and the audit overflow, once each', async () => {
    const run = await runScenarioCli(['dlx'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const routing = check(run, 'dead-letter-routing') as DeadLetterRouting;
    expect(routing.valid).toBe(true);
    for (const reason of ['rejected', 'expired', 'maxlen']) expect(routing.perReason[reason], reason).toBeGreaterThan(0);
    expect(check(run, 'zero-loss').valid).toBe(true);
    expect(check(run, 'effects').valid).toBe(true);
    expect(run.results!.faults.map((f) => f.name)).toEqual(['consumer-crash', 'consumer-crash']);
  });

  it('catches no-dlx: rejected, expired and overflowed messages vanish instead of reaching the dead-letter queue', async () => {
    const run = await runScenarioCli(['dlx', '--flaw', 'no-dlx'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const routing = check(run, 'dead-letter-routing') as DeadLetterRouting;
    expect(routing.valid).toBe(false);
    expect(routing.violations['missing']!.count).toBeGreaterThan(0);
    // Per (queue, reason): every death the run called for is missing, none reached the dead-letter queue.
    const rows = routing.table!.rows.map(([queue, reason, expected, deadLettered, missing]) => ({ queue, reason, expected, deadLettered, missing }));
    expect(rows.map((r) => `${r.queue}/${r.reason}`).sort()).toEqual(['order.audit/maxlen', 'payment.process/expired', 'payment.process/rejected']);
    for (const r of rows) expect(r).toMatchObject({ deadLettered: 0, missing: r.expected });
    expect(routing.perReason).toEqual({});
    expect(check(run, 'zero-loss').valid).toBe(false);
  });

  it('catches timer-retry: retries waiting in the memory of a crashed worker are gone', async () => {
    const run = await runScenarioCli(['dlx', '--flaw', 'timer-retry'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const routing = check(run, 'dead-letter-routing') as DeadLetterRouting;
    expect(routing.valid).toBe(false);
    const missing = routing.violations['missing']!;
    expect(missing.count).toBeGreaterThan(0);
    for (const e of missing.examples) expect(e).toMatchObject({ queue: 'payment.process', expected: 'rejected' });
    const zeroLoss = check(run, 'zero-loss') as CheckResult & { stages: { queue: string; lostCount: number }[] };
    expect(zeroLoss.valid).toBe(false);
    expect(zeroLoss.stages.find((s) => s.queue === 'payment.process')!.lostCount).toBe(missing.count);
  });
});

describe('redelivery-storm', () => {
  it('the reference charges, reserves and notifies once although handlers committed after their channel died', async () => {
    const run = await runScenarioCli(['redelivery-storm'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const zeroLoss = check(run, 'zero-loss') as CheckResult & { stages: { queue: string; duplicated: number }[] };
    // The storm did redeliver handled payments: the effects held because the stores are idempotent.
    expect(zeroLoss.stages.find((s) => s.queue === 'payment.process')!.duplicated).toBeGreaterThan(0);
    expect(check(run, 'effects').valid).toBe(true);
    expect(check(run, 'acknowledgements').valid).toBe(true);
  });

  it('catches no-idempotency: redelivered payments charge again, named by the effects checker', async () => {
    const run = await runScenarioCli(['redelivery-storm', '--flaw', 'no-idempotency'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const effects = check(run, 'effects') as CheckResult & { doubleCharged: string[]; violations: Violations };
    expect(effects.valid).toBe(false);
    expect(effects.doubleCharged.length).toBeGreaterThan(0);
    expect(effects.doubleCharged[0]).toMatch(/^order-1-\d+$/);
    expect(effects.summary).toMatch(/order order-1-\d+ charged 2 times/);
    expect(effects.violations['duplicate-notification']!.count).toBeGreaterThan(0);
    // Nothing was lost: this flaw breaks exactly-once effects, not delivery.
    expect(check(run, 'zero-loss').valid).toBe(true);
  });
});
