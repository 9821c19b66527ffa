import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { arrivalSchedule, type ArrivalPlan } from '../../../load/arrival-schedule.ts';
import { DEFAULT_PROFILES_URL, loadProfiles, resolveProfile, type ProfileOverrides, type ResolvedProfile } from '../../../load/profiles.ts';
import { SCENARIO_NAME, k6ProfileOptions, k6RunConfig, type K6ProfileOptions, type K6Scenario } from '../../../load/k6/profile-options.js';

// The Node generator (resolveProfile) and k6 (profile-options.js, as load/k6/orders.js uses it) read the same
// profiles.json; here both read it and must describe the same load: rates, durations, concurrency, thresholds.

const rawJson: unknown = JSON.parse(readFileSync(DEFAULT_PROFILES_URL, 'utf8'));
const set = loadProfiles();

const durationMs = (d: string): number => {
  const match = /^(\d+)ms$/.exec(d);
  if (!match) throw new Error(`expected a k6 duration like "1500ms", got ${d}`);
  return Number(match[1]);
};

/** k6 scenario -> the arrival plan k6 will run, in the generator's terms. */
function planFromK6(s: K6Scenario): ArrivalPlan {
  expect(s.timeUnit).toBe('1s');
  return s.executor === 'constant-arrival-rate'
    ? { kind: 'constant', ratePerSecond: s.rate, durationSeconds: durationMs(s.duration) / 1000 }
    : {
        kind: 'ramping',
        startRate: s.startRate,
        stages: s.stages.map((st) => ({ target: st.target, durationSeconds: durationMs(st.duration) / 1000 })),
      };
}

function expectSameLoad(node: ResolvedProfile, k6: K6ProfileOptions): void {
  const scenario = k6.scenarios[SCENARIO_NAME]!;
  expect(scenario.executor).toBe(node.executor);
  expect(planFromK6(scenario)).toEqual(node.plan);
  expect(arrivalSchedule(planFromK6(scenario)).total).toBe(arrivalSchedule(node.plan).total);
  expect(scenario.maxVUs).toBe(node.maxInFlight);
  expect(scenario.preAllocatedVUs).toBe(node.preAllocated);
  expect(durationMs(scenario.gracefulStop)).toBe(node.requestTimeoutMs);
  expect(k6.thresholds).toEqual({
    http_req_failed: [`rate<=${node.thresholds.maxFailedRate}`],
    dropped_iterations: [`count<=${node.thresholds.maxDroppedIterations}`],
    http_req_duration: [`p(99)<=${node.thresholds.maxP99Ms}`],
  });
}

const overrideCases: ProfileOverrides[] = [{}, { rate: 37 }, { duration: 2.5 }, { rate: 1000, duration: 61 }, { rate: 3, maxInFlight: 9 }];

describe('the Node generator and k6 read the same profile definitions', () => {
  for (const name of Object.keys(set.profiles)) {
    for (const overrides of overrideCases) {
      it(`${name} ${JSON.stringify(overrides)}`, () => {
        expectSameLoad(resolveProfile(name, overrides, set), k6ProfileOptions(rawJson, name, overrides));
      });
    }
  }

  it('k6RunConfig reads PROFILE, RATE, DURATION, MAX_IN_FLIGHT, SEED and API_URL like the CLI flags', () => {
    const config = k6RunConfig(rawJson, {
      PROFILE: 'spike',
      RATE: '120',
      DURATION: '30',
      MAX_IN_FLIGHT: '77',
      SEED: '9',
      API_URL: 'http://127.0.0.1:1234/',
    });
    expectSameLoad(resolveProfile('spike', { rate: 120, duration: 30, maxInFlight: 77 }, set), config.options);
    expect(config).toMatchObject({
      profile: 'spike',
      ordersUrl: 'http://127.0.0.1:1234/orders',
      seed: 9,
      requestTimeout: `${set.requestTimeoutMs}ms`,
    });
    expect(config.options.summaryTrendStats).toContain('p(99)');
  });

  it('k6RunConfig defaults to smoke and refuses bad environment values', () => {
    expect(k6RunConfig(rawJson, { API_URL: 'http://x' }).profile).toBe('smoke');
    expect(() => k6RunConfig(rawJson, {})).toThrow(/API_URL: expected the order API base URL/);
    expect(() => k6RunConfig(rawJson, { API_URL: 'http://x', RATE: 'fast' })).toThrow(/RATE: expected an integer >= 1, got "fast"/);
    expect(() => k6RunConfig(rawJson, { API_URL: 'http://x', PROFILE: 'nope' })).toThrow(/unknown load profile "nope"/);
  });

  it('orders.js builds its options from profile-options.js and the shared profiles.json', () => {
    const script = readFileSync(new URL('../../../load/k6/orders.js', import.meta.url), 'utf8');
    expect(script).toMatch(/open\('\.\.\/profiles\.json'\)/);
    expect(script).toMatch(/export const options = config\.options/);
    expect(script).toMatch(/^\/\/ Question:/);
  });
});
