import { describe, expect, it } from 'vitest';
import { BASELINE_CHECKS, scenarioChecks } from '../../../scenarios/define-scenario.ts';
import { SCENARIOS } from '../../../scenarios/index.ts';

const names = (specs: ReturnType<typeof scenarioChecks>) => specs.map((s) => (typeof s === 'string' ? s : s.name));

describe('baseline checks', () => {
  it('every scenario checks zero-loss, effects, acknowledgements and liveness, each once', () => {
    for (const scenario of SCENARIOS) {
      const checks = names(scenarioChecks(scenario, { rate: 10, duration: 10, seed: 1, flaws: [] }));
      for (const baseline of BASELINE_CHECKS) expect(checks, scenario.name).toContain(baseline);
      expect(new Set(checks).size, scenario.name).toBe(checks.length);
    }
  });

  it("a scenario's own entry with options replaces the baseline one", () => {
    const blackhole = SCENARIOS.find((s) => s.name === 'blackhole')!;
    const liveness = scenarioChecks(blackhole, { rate: 10, duration: 10, seed: 1, flaws: [] }).filter((s) => (typeof s === 'string' ? s : s.name) === 'liveness');
    expect(liveness).toHaveLength(1);
    expect(typeof liveness[0]).toBe('object');
  });
});
