import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../harness/checkers/checker.ts';
import { readHistory } from '../../harness/history/read-history.ts';
import { malformedQueues } from '../../harness/runner/malformed-messages.ts';
import { REFERENCE_TOPOLOGY } from '../../system/target/declared-topology.ts';

const MALFORMED_QUEUES = malformedQueues(REFERENCE_TOPOLOGY);
import type { HistoryEvent } from '../../instrument/history-event.ts';
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
    const fairness = check(run, 'prefetch-fairness') as CheckResult & {
      consumers: { queue: string; consumer: string; share: number; maxUnacked: number }[];
    };
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

/** The malformed messages the harness injected in a run, each with the queue it was put in and whether the broker confirmed it. */
function injected(run: CliRun): { events: HistoryEvent[]; messages: { id: string; queue: string; confirmed: boolean }[] } {
  const events = readHistory(join(run.results!.runDir, 'history'));
  const confirmed = new Set(
    events.filter((e) => e.kind === 'publish-result' && e.proc === 'injector' && e.outcome === 'ok').map((e) => (e as { id: string }).id),
  );
  const messages = events.flatMap((e) =>
    e.kind === 'publish-attempt' && e.intent === 'malformed' ? [{ id: e.id, queue: e.routingKey, confirmed: confirmed.has(e.id) }] : [],
  );
  return { events, messages };
}

describe('dlx', () => {
  it(
    'the reference dead-letters poison (rejected after retries), expired flash payments, the audit overflow ' +
      'and every injected malformed message (rejected), once each',
    async () => {
      const run = await runScenarioCli(['dlx'], runs.path, RUN_TIMEOUT_MS);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const routing = check(run, 'dead-letter-routing') as DeadLetterRouting;
      expect(routing.valid).toBe(true);
      for (const reason of ['rejected', 'expired', 'maxlen']) expect(routing.perReason[reason], reason).toBeGreaterThan(0);
      expect(check(run, 'zero-loss').valid).toBe(true);
      expect(check(run, 'effects').valid).toBe(true);
      expect(run.results!.faults.map((f) => f.name)).toEqual(['consumer-crash', 'consumer-crash', 'consumer-crash']);
      expect(run.results!.faults.map((f) => f.description).join('\n')).toMatch(/SIGKILL a dead-letter-1/);

      // Five malformed messages went straight into every unbounded work queue; each confirmed one was
      // rejected by a worker into the dead-letter queue from the queue it was put in, and none was acked.
      const { events, messages } = injected(run);
      expect(messages).toHaveLength(5 * MALFORMED_QUEUES.length);
      expect(new Set(messages.map((m) => m.queue))).toEqual(new Set(MALFORMED_QUEUES));
      expect(messages.filter((m) => m.confirmed).length).toBeGreaterThanOrEqual(messages.length - 2);
      for (const m of messages.filter((x) => x.confirmed)) {
        const deaths = events
          .filter((e) => e.kind === 'dead-lettered' && e.id === m.id)
          .map((e) => `${(e as { queue: string }).queue}/${(e as { reason: string }).reason}`);
        expect(deaths.length, m.id).toBeGreaterThan(0);
        for (const d of deaths) expect(d, m.id).toBe(`${m.queue}/rejected`);
        expect(
          events.some((e) => e.kind === 'reject' && e.id === m.id && e.queue === m.queue),
          `${m.id} rejected`,
        ).toBe(true);
        // (The auditor acks its dead letter, same id, in the dead-letter queue: that one is right.)
        expect(
          events.some((e) => e.kind === 'ack' && e.id === m.id && e.queue === m.queue),
          `${m.id} acked in ${m.queue}`,
        ).toBe(false);
      }
    },
  );

  it('catches drop-malformed: messages no worker can parse are acked and dropped, named as missing dead letters and as lost', async () => {
    const run = await runScenarioCli(['dlx', '--flaw', 'drop-malformed'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const routing = check(run, 'dead-letter-routing') as DeadLetterRouting;
    expect(routing.valid).toBe(false);
    expect(routing.summary).toMatch(/never reached the dead-letter queue/);
    const missing = routing.violations['missing']!;
    const { messages } = injected(run);
    // Every confirmed malformed message is missing, named by id in the queue it was put in.
    expect(missing.count).toBeGreaterThanOrEqual(messages.filter((m) => m.confirmed).length);
    for (const e of missing.examples) expect(e).toMatchObject({ id: expect.stringMatching(/^malformed:/), expected: 'rejected' });
    for (const e of missing.examples) expect(String(e['id'])).toBe(`malformed:${String(e['queue'])}:${String(e['id']).split(':').at(-1)}`);
    const zeroLoss = check(run, 'zero-loss') as CheckResult & { stages: { queue: string; lost: string[] }[] };
    expect(zeroLoss.valid).toBe(false);
    expect(zeroLoss.stages.find((s) => s.queue === 'payment.process')!.lost.some((id) => id.startsWith('malformed:payment.process:'))).toBe(
      true,
    );
  });

  it('catches no-dlx: rejected, expired and overflowed messages vanish instead of reaching the dead-letter queue', async () => {
    const run = await runScenarioCli(['dlx', '--flaw', 'no-dlx'], runs.path, RUN_TIMEOUT_MS);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const routing = check(run, 'dead-letter-routing') as DeadLetterRouting;
    expect(routing.valid).toBe(false);
    expect(routing.violations['missing']!.count).toBeGreaterThan(0);
    // Per (queue, reason): every death the run called for is missing, none reached the dead-letter queue.
    const rows = routing.table!.rows.map(([queue, reason, expected, deadLettered, missing]) => ({
      queue,
      reason,
      expected,
      deadLettered,
      missing,
    }));
    const malformed = MALFORMED_QUEUES.map((q) => `${q}/rejected`);
    expect(rows.map((r) => `${r.queue}/${r.reason}`).sort()).toEqual(
      [...new Set(['order.audit/maxlen', 'payment.process/expired', ...malformed])].sort(),
    );
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
    const effects = check(run, 'effects') as CheckResult & { duplicated: Record<string, string[]>; violations: Violations };
    expect(effects.valid).toBe(false);
    expect(effects.duplicated['charge']!.length).toBeGreaterThan(0);
    expect(effects.duplicated['charge']![0]).toMatch(/^order-1-\d+$/);
    expect(effects.summary).toMatch(/order order-1-\d+: charge x2/);
    expect(Object.keys(effects.duplicated).some((kind) => kind.startsWith('notification:'))).toBe(true);
    // Nothing was lost: this flaw breaks exactly-once effects, not delivery.
    expect(check(run, 'zero-loss').valid).toBe(true);
  });
});
