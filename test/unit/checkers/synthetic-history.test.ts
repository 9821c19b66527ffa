import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticRun } from '../../../bench/synthetic-history.ts';
import { judgeRunHistory } from '../../../harness/runner/judge.ts';
import { CHECKER_BENCH_SCENARIO } from '../../../bench/synthetic-scenario.ts';
import reference from '../../../system/target.ts';
import { tempDir } from '../../support/temp-dir.ts';

// The checker benchmark's history, small: it must judge VALID on every check (else the generator or
// a checker is wrong), and one planted lost order must be found by its id (else the judge judged nothing).
const dir = tempDir('synthetic-history');
afterAll(() => dir.remove());

async function judgeSynthetic(name: string, plantLoss: boolean) {
  const run = writeSyntheticRun(`${dir.path}/${name}`, { events: 12_000, seed: 3, plantLoss });
  const verdict = await judgeRunHistory({
    runDir: run.runDir,
    target: reference,
    scenario: CHECKER_BENCH_SCENARIO,
    options: { rate: run.rate, duration: run.durationSeconds, seed: 3, flaws: [], clientRetries: 5 },
    settings: run.system,
    effects: run.effects,
    finalRead: run.finalRead,
    appliedFaults: run.appliedFaults,
    load: run.load,
  });
  return { run, verdict };
}

describe('the synthetic reference-system history', () => {
  it('judges VALID on every check, each of which had work to do', async () => {
    const { run, verdict } = await judgeSynthetic('clean', false);
    expect(run.events).toBeGreaterThan(11_000);
    const invalid = Object.entries(verdict.checks).filter(([, c]) => c.valid !== true);
    expect(invalid.map(([name, c]) => `${name}: ${c.summary}`)).toEqual([]);
    expect(Object.keys(verdict.checks)).toEqual(
      expect.arrayContaining([
        'zero-loss',
        'effects',
        'acknowledgements',
        'liveness',
        'dead-letter-routing',
        'prefetch-fairness',
        'recovery',
      ]),
    );
    expect(verdict.checks['dead-letter-routing']!.mustDie).toBeGreaterThan(0);
  });

  it('with one accepted order planted lost, zero-loss fails naming that order', async () => {
    const { run, verdict } = await judgeSynthetic('lost', true);
    expect(run.lostOrderId).toBeDefined();
    expect(verdict.valid).toBe(false);
    expect(verdict.checks['zero-loss']!.valid).toBe(false);
    expect(verdict.checks['zero-loss']!.lostOrderIds).toEqual([run.lostOrderId]);
  });
});
