import { describe, expect, it } from 'vitest';
import {
  InvalidProfileOverrideError,
  ProfileValidationError,
  UnknownProfileError,
  loadProfiles,
  parseProfiles,
  resolveProfile,
  type ProfileSet,
} from '../../../load/profiles.ts';

const base = () => ({
  requestTimeoutMs: 1000,
  profiles: {
    steady: {
      description: 'steady',
      executor: 'constant-arrival-rate',
      rate: 100,
      duration: 10,
      preAllocated: 5,
      maxInFlight: 20,
      thresholds: { maxFailedRate: 0.01, maxDroppedIterations: 0, maxP99Ms: 500 },
    },
    ramp: {
      description: 'ramp',
      executor: 'ramping-arrival-rate',
      startRate: 10,
      stages: [
        { target: 100, duration: 2 },
        { target: 100, duration: 3 },
        { target: 0, duration: 5 },
      ],
      preAllocated: 10,
      maxInFlight: 50,
      thresholds: { maxFailedRate: 0, maxDroppedIterations: 5, maxP99Ms: 1000 },
    },
  },
});

const problemsOf = (json: unknown): readonly string[] => {
  try {
    parseProfiles(json, 'test');
  } catch (error) {
    expect(error).toBeInstanceOf(ProfileValidationError);
    return (error as ProfileValidationError).problems;
  }
  throw new Error('expected a ProfileValidationError');
};

describe('load/profiles.json', () => {
  it('holds valid smoke, load, spike and soak profiles', () => {
    const set = loadProfiles();
    expect(Object.keys(set.profiles).sort()).toEqual(['load', 'smoke', 'soak', 'spike']);
    for (const name of Object.keys(set.profiles)) expect(resolveProfile(name, {}, set).plan).toBeDefined();
  });
});

describe('parseProfiles: bad profiles get errors naming the field and what was expected', () => {
  it('accepts a good set', () => {
    expect(() => parseProfiles(base())).not.toThrow();
  });

  it('unknown executor', () => {
    const json = base();
    (json.profiles.steady as { executor: string }).executor = 'constant-vus';
    expect(problemsOf(json)).toEqual([
      'profiles.steady.executor: expected one of constant-arrival-rate, ramping-arrival-rate, got "constant-vus"',
    ]);
  });

  it('non-integer rate, missing duration, misspelled field', () => {
    const json = base() as { profiles: { steady: Record<string, unknown> } };
    json.profiles.steady.rate = 2.5;
    delete json.profiles.steady.duration;
    json.profiles.steady.maxVUs = 3;
    expect(problemsOf(json)).toEqual(
      expect.arrayContaining([
        'profiles.steady.rate: expected an integer > 0, got 2.5',
        'profiles.steady.duration: expected seconds >= 1, got nothing',
        expect.stringMatching(/^profiles\.steady\.maxVUs: unexpected field; expected only .*maxInFlight/),
      ]),
    );
  });

  it('stages, thresholds and preAllocated > maxInFlight', () => {
    const json = base() as { profiles: { ramp: Record<string, unknown> } };
    json.profiles.ramp.stages = [{ target: -1, duration: '5s' }];
    json.profiles.ramp.thresholds = { maxFailedRate: 2, maxDroppedIterations: 0, maxP99Ms: 0 };
    json.profiles.ramp.preAllocated = 60;
    const problems = problemsOf(json);
    expect(problems).toEqual(
      expect.arrayContaining([
        'profiles.ramp.stages[0].target: expected an integer >= 0, got -1',
        'profiles.ramp.stages[0].duration: expected a number >= 0, got "5s"',
        'profiles.ramp.stages: expected a total duration > 0 seconds, got 0',
        'profiles.ramp.thresholds.maxFailedRate: expected a number between 0 and 1, got 2',
        'profiles.ramp.thresholds.maxP99Ms: expected a number > 0, got 0',
        'profiles.ramp.preAllocated: expected at most maxInFlight (50), got 60',
      ]),
    );
  });

  it('an all-zero ramping profile is refused', () => {
    const json = base();
    json.profiles.ramp.startRate = 0;
    json.profiles.ramp.stages = [{ target: 0, duration: 5 }];
    expect(problemsOf(json)).toEqual(['profiles.ramp: expected startRate or some stage target > 0, all are 0']);
  });

  it('wrong top-level shape', () => {
    expect(problemsOf([])).toEqual(['expected an object with requestTimeoutMs and profiles, got []']);
    expect(problemsOf({ requestTimeoutMs: 0, profiles: {} })).toEqual([
      'requestTimeoutMs: expected an integer > 0, got 0',
      'profiles: expected an object mapping profile names to profiles, got {}',
    ]);
  });

  it('the error message lists every problem with its source', () => {
    const json = base();
    json.profiles.steady.rate = 0;
    expect(() => parseProfiles(json, 'my.json')).toThrow(
      /invalid load profiles in my\.json:\n {2}- profiles\.steady\.rate: expected an integer > 0, got 0/,
    );
  });

  it('an unreadable file is a validation error too', () => {
    expect(() => loadProfiles('/nonexistent/profiles.json')).toThrow(ProfileValidationError);
  });
});

describe('resolveProfile', () => {
  const set: ProfileSet = parseProfiles(base());

  it('constant profile as is', () => {
    const p = resolveProfile('steady', {}, set);
    expect(p.plan).toEqual({ kind: 'constant', ratePerSecond: 100, durationSeconds: 10 });
    expect(p).toMatchObject({
      executor: 'constant-arrival-rate',
      durationSeconds: 10,
      peakRate: 100,
      maxInFlight: 20,
      preAllocated: 5,
      requestTimeoutMs: 1000,
    });
  });

  it('constant profile with rate and duration overrides scales maxInFlight with the rate', () => {
    const p = resolveProfile('steady', { rate: 250, duration: 3 }, set);
    expect(p.plan).toEqual({ kind: 'constant', ratePerSecond: 250, durationSeconds: 3 });
    expect(p.maxInFlight).toBe(50);
    expect(p.preAllocated).toBe(13);
  });

  it('an explicit maxInFlight wins over scaling and caps preAllocated', () => {
    const p = resolveProfile('steady', { rate: 1000, maxInFlight: 7 }, set);
    expect(p.maxInFlight).toBe(7);
    expect(p.preAllocated).toBe(7);
  });

  it('ramping profile: rate override sets the peak, duration override stretches the stages', () => {
    const p = resolveProfile('ramp', { rate: 50, duration: 20 }, set);
    expect(p.plan).toEqual({
      kind: 'ramping',
      startRate: 5,
      stages: [
        { target: 50, durationSeconds: 4 },
        { target: 50, durationSeconds: 6 },
        { target: 0, durationSeconds: 10 },
      ],
    });
    expect(p.durationSeconds).toBe(20);
    expect(p.peakRate).toBe(50);
    expect(p.maxInFlight).toBe(25);
  });

  it('stretched stages always sum to the requested duration (ms rounding on cumulative ends)', () => {
    const p = resolveProfile('ramp', { duration: 7.777 }, set);
    if (p.plan.kind !== 'ramping') throw new Error('expected ramping');
    const totalMs = p.plan.stages.reduce((sum, s) => sum + Math.round(s.durationSeconds * 1000), 0);
    expect(totalMs).toBe(7777);
  });

  it('unknown profile names the known ones', () => {
    expect(() => resolveProfile('nope', {}, set)).toThrow(UnknownProfileError);
    expect(() => resolveProfile('nope', {}, set)).toThrow('unknown load profile "nope": expected one of steady, ramp');
    expect(() => resolveProfile('toString', {}, set)).toThrow(UnknownProfileError);
  });

  it('bad overrides say what was expected', () => {
    expect(() => resolveProfile('steady', { rate: 0 }, set)).toThrow(InvalidProfileOverrideError);
    expect(() => resolveProfile('steady', { rate: 1.5 }, set)).toThrow(
      /rate: expected an integer number of requests per second > 0, got 1.5/,
    );
    expect(() => resolveProfile('steady', { duration: 0.5 }, set)).toThrow(/duration: expected seconds >= 1, got 0.5/);
    expect(() => resolveProfile('steady', { maxInFlight: 0 }, set)).toThrow(/maxInFlight: expected an integer > 0/);
  });
});
