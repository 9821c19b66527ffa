import { describe, expect, it } from 'vitest';
import { scenarioChecks } from '../../../scenarios/define-scenario.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';
import reference from '../../../system/target.ts';

const names = (specs: ReturnType<typeof scenarioChecks>) => specs.map((s) => (typeof s === 'string' ? s : s.name));
const OPTIONS = { rate: 10, duration: 10, seed: 1, flaws: [] };

describe('baseline checks', () => {
  it('the reference target asks for zero-loss, effects, acknowledgements and liveness', () => {
    expect([...reference.baselineChecks].sort()).toEqual(['acknowledgements', 'effects', 'liveness', 'zero-loss']);
  });

  it("every scenario checks the target's baseline, each once", () => {
    for (const scenario of SCENARIOS) {
      const checks = names(scenarioChecks(scenario, OPTIONS, reference.baselineChecks));
      for (const baseline of reference.baselineChecks) expect(checks, scenario.name).toContain(baseline);
      expect(new Set(checks).size, scenario.name).toBe(checks.length);
    }
  });

  it("another target's baseline replaces the reference's", () => {
    const brokerKill = SCENARIOS.find((s) => s.name === 'broker-kill')!;
    expect(names(scenarioChecks(brokerKill, OPTIONS, ['set']))).toEqual(['set']);
  });

  it("a scenario's own entry with options replaces the baseline one", () => {
    const blackhole = SCENARIOS.find((s) => s.name === 'blackhole')!;
    const liveness = scenarioChecks(blackhole, OPTIONS, reference.baselineChecks).filter(
      (s) => (typeof s === 'string' ? s : s.name) === 'liveness',
    );
    expect(liveness).toHaveLength(1);
    expect(typeof liveness[0]).toBe('object');
  });
});

describe('check names', () => {
  it('a name no checker is registered under judges UNKNOWN, naming the known ones', async () => {
    const { checkerFor } = await import('../../../harness/checkers/registry.ts');
    const result = await checkerFor('zero-lost').check({} as never);
    expect(result.valid).toBe('unknown');
    expect(result.summary).toMatch(/no checker named "zero-lost": expected one of .*zero-loss/);
  });
});
