import { readFileSync } from 'node:fs';
import type { ArrivalPlan, RateStage } from './arrival-schedule.ts';

// Load profiles are data (profiles.json) read by both this file and load/k6/profile-options.js.
// The override rules in resolveProfile are mirrored there; test/unit/load/profile-parity.test.ts keeps them equal.

export const DEFAULT_PROFILES_URL = new URL('./profiles.json', import.meta.url);
/** k6 refuses a constant-arrival-rate scenario shorter than this. */
export const MIN_CONSTANT_DURATION_SECONDS = 1;
const MS_PER_SECOND = 1000;

export type ExecutorKind = 'constant-arrival-rate' | 'ramping-arrival-rate';
const EXECUTORS: readonly ExecutorKind[] = ['constant-arrival-rate', 'ramping-arrival-rate'];

export interface ProfileThresholds {
  /** failed requests / completed requests must be <= this (0..1) */
  readonly maxFailedRate: number;
  readonly maxDroppedIterations: number;
  readonly maxP99Ms: number;
}

interface ProfileCommon {
  readonly description: string;
  readonly preAllocated: number;
  readonly maxInFlight: number;
  readonly thresholds: ProfileThresholds;
}

export interface ConstantProfile extends ProfileCommon {
  readonly executor: 'constant-arrival-rate';
  readonly rate: number;
  /** seconds */
  readonly duration: number;
}

export interface RampingProfile extends ProfileCommon {
  readonly executor: 'ramping-arrival-rate';
  readonly startRate: number;
  /** target: requests per second at the end of the stage; duration: seconds */
  readonly stages: readonly { readonly target: number; readonly duration: number }[];
}

export type LoadProfile = ConstantProfile | RampingProfile;

export interface ProfileSet {
  readonly requestTimeoutMs: number;
  readonly profiles: Readonly<Record<string, LoadProfile>>;
}

export interface ProfileOverrides {
  /** requests per second; for a ramping profile this becomes the peak and every rate scales with it */
  rate?: number;
  /** seconds; for a ramping profile every stage stretches or shrinks in proportion */
  duration?: number;
  /** when absent and `rate` scales the profile, maxInFlight and preAllocated scale with it */
  maxInFlight?: number;
}

/** A profile after overrides: what the generator runs and what k6 gets. All durations are whole milliseconds. */
export interface ResolvedProfile {
  readonly name: string;
  readonly description: string;
  readonly executor: ExecutorKind;
  readonly plan: ArrivalPlan;
  readonly durationSeconds: number;
  readonly peakRate: number;
  readonly maxInFlight: number;
  readonly preAllocated: number;
  readonly thresholds: ProfileThresholds;
  readonly requestTimeoutMs: number;
}

export class ProfileValidationError extends Error {
  override readonly name = 'ProfileValidationError';
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid load profiles in ${source}:\n  - ${problems.join('\n  - ')}`);
  }
}

export class UnknownProfileError extends Error {
  override readonly name = 'UnknownProfileError';
  constructor(
    readonly profile: string,
    readonly known: readonly string[],
  ) {
    super(`unknown load profile "${profile}": expected one of ${known.join(', ')}`);
  }
}

export class InvalidProfileOverrideError extends Error {
  override readonly name = 'InvalidProfileOverrideError';
}

// ---------------------------------------------------------------------------------------------- validation

type Check = (value: unknown) => string | undefined;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

const positiveInteger: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? undefined : `expected an integer > 0, got ${show(v)}`);
const nonNegativeInteger: Check = (v) =>
  Number.isInteger(v) && (v as number) >= 0 ? undefined : `expected an integer >= 0, got ${show(v)}`;
const positiveNumber: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : `expected a number > 0, got ${show(v)}`;
const nonNegativeNumber: Check = (v) =>
  typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : `expected a number >= 0, got ${show(v)}`;
const fraction: Check = (v) =>
  typeof v === 'number' && v >= 0 && v <= 1 ? undefined : `expected a number between 0 and 1, got ${show(v)}`;
const text: Check = (v) => (typeof v === 'string' ? undefined : `expected a string, got ${show(v)}`);

class Problems {
  readonly list: string[] = [];
  check(path: string, value: unknown, check: Check): void {
    const problem = check(value);
    if (problem) this.list.push(`${path}: ${problem}`);
  }
  onlyKeys(path: string, value: Record<string, unknown>, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) this.list.push(`${path}.${key}: unexpected field; expected only ${allowed.join(', ')}`);
    }
  }
}

const COMMON_KEYS = ['description', 'executor', 'preAllocated', 'maxInFlight', 'thresholds'] as const;
const THRESHOLD_KEYS = ['maxFailedRate', 'maxDroppedIterations', 'maxP99Ms'] as const;

function validateProfile(path: string, p: unknown, problems: Problems): void {
  if (!isRecord(p)) {
    problems.list.push(`${path}: expected an object, got ${show(p)}`);
    return;
  }
  problems.check(`${path}.description`, p.description, text);
  problems.check(`${path}.preAllocated`, p.preAllocated, positiveInteger);
  problems.check(`${path}.maxInFlight`, p.maxInFlight, positiveInteger);
  if (Number.isInteger(p.preAllocated) && Number.isInteger(p.maxInFlight) && (p.preAllocated as number) > (p.maxInFlight as number)) {
    problems.list.push(`${path}.preAllocated: expected at most maxInFlight (${show(p.maxInFlight)}), got ${show(p.preAllocated)}`);
  }
  if (!isRecord(p.thresholds)) {
    problems.list.push(`${path}.thresholds: expected an object with ${THRESHOLD_KEYS.join(', ')}, got ${show(p.thresholds)}`);
  } else {
    problems.onlyKeys(`${path}.thresholds`, p.thresholds, THRESHOLD_KEYS);
    problems.check(`${path}.thresholds.maxFailedRate`, p.thresholds.maxFailedRate, fraction);
    problems.check(`${path}.thresholds.maxDroppedIterations`, p.thresholds.maxDroppedIterations, nonNegativeInteger);
    problems.check(`${path}.thresholds.maxP99Ms`, p.thresholds.maxP99Ms, positiveNumber);
  }

  if (p.executor === 'constant-arrival-rate') {
    problems.onlyKeys(path, p, [...COMMON_KEYS, 'rate', 'duration']);
    problems.check(`${path}.rate`, p.rate, positiveInteger);
    problems.check(`${path}.duration`, p.duration, (v) =>
      typeof v === 'number' && v >= MIN_CONSTANT_DURATION_SECONDS
        ? undefined
        : `expected seconds >= ${MIN_CONSTANT_DURATION_SECONDS}, got ${show(v)}`,
    );
  } else if (p.executor === 'ramping-arrival-rate') {
    problems.onlyKeys(path, p, [...COMMON_KEYS, 'startRate', 'stages']);
    problems.check(`${path}.startRate`, p.startRate, nonNegativeInteger);
    if (!Array.isArray(p.stages) || p.stages.length === 0) {
      problems.list.push(`${path}.stages: expected a non-empty array of { target, duration }, got ${show(p.stages)}`);
    } else {
      p.stages.forEach((stage: unknown, k) => {
        const at = `${path}.stages[${k}]`;
        if (!isRecord(stage)) {
          problems.list.push(`${at}: expected { target, duration }, got ${show(stage)}`);
          return;
        }
        problems.onlyKeys(at, stage, ['target', 'duration']);
        problems.check(`${at}.target`, stage.target, nonNegativeInteger);
        problems.check(`${at}.duration`, stage.duration, nonNegativeNumber);
      });
      const stages = p.stages.filter(isRecord);
      const total = stages.reduce((sum, s) => sum + (typeof s.duration === 'number' ? s.duration : 0), 0);
      if (total <= 0) problems.list.push(`${path}.stages: expected a total duration > 0 seconds, got ${total}`);
      const peak = Math.max(
        typeof p.startRate === 'number' ? p.startRate : 0,
        ...stages.map((s) => (typeof s.target === 'number' ? s.target : 0)),
      );
      if (peak <= 0) problems.list.push(`${path}: expected startRate or some stage target > 0, all are 0`);
    }
  } else {
    problems.list.push(`${path}.executor: expected one of ${EXECUTORS.join(', ')}, got ${show(p.executor)}`);
  }
}

/** Checks parsed JSON and returns it typed; every problem is listed with its path and what was expected. */
export function parseProfiles(json: unknown, source = 'profiles'): ProfileSet {
  const problems = new Problems();
  if (!isRecord(json))
    throw new ProfileValidationError(source, [`expected an object with requestTimeoutMs and profiles, got ${show(json)}`]);
  problems.onlyKeys('(top level)', json, ['$comment', 'requestTimeoutMs', 'profiles']);
  problems.check('requestTimeoutMs', json.requestTimeoutMs, positiveInteger);
  if (!isRecord(json.profiles) || Object.keys(json.profiles).length === 0) {
    problems.list.push(`profiles: expected an object mapping profile names to profiles, got ${show(json.profiles)}`);
  } else {
    for (const [name, profile] of Object.entries(json.profiles)) validateProfile(`profiles.${name}`, profile, problems);
  }
  if (problems.list.length > 0) throw new ProfileValidationError(source, problems.list);
  return json as unknown as ProfileSet;
}

/** Reads and validates a profiles file (load/profiles.json by default). */
export function loadProfiles(source: string | URL = DEFAULT_PROFILES_URL): ProfileSet {
  const label = source instanceof URL ? source.pathname : source;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(source, 'utf8'));
  } catch (error) {
    throw new ProfileValidationError(label, [`expected a readable JSON file: ${(error as Error).message}`]);
  }
  return parseProfiles(json, label);
}

// ---------------------------------------------------------------------------------------------- resolving

const toMs = (seconds: number): number => Math.round(seconds * MS_PER_SECOND);

function checkOverrides(o: ProfileOverrides): void {
  if (o.rate !== undefined && !(Number.isInteger(o.rate) && o.rate > 0)) {
    throw new InvalidProfileOverrideError(`rate: expected an integer number of requests per second > 0, got ${o.rate}`);
  }
  if (o.duration !== undefined && !(Number.isFinite(o.duration) && o.duration >= MIN_CONSTANT_DURATION_SECONDS)) {
    throw new InvalidProfileOverrideError(`duration: expected seconds >= ${MIN_CONSTANT_DURATION_SECONDS}, got ${o.duration}`);
  }
  if (o.maxInFlight !== undefined && !(Number.isInteger(o.maxInFlight) && o.maxInFlight > 0)) {
    throw new InvalidProfileOverrideError(`maxInFlight: expected an integer > 0, got ${o.maxInFlight}`);
  }
}

/** Stage durations rescaled so they sum to `totalMs`; rounding on cumulative ends keeps the sum exact. */
function stretchStages(durationsMs: readonly number[], totalMs: number): number[] {
  const originalTotal = durationsMs.reduce((a, b) => a + b, 0);
  let cumulative = 0;
  let previousEnd = 0;
  return durationsMs.map((d) => {
    cumulative += d;
    const end = Math.round((cumulative * totalMs) / originalTotal);
    const stretched = end - previousEnd;
    previousEnd = end;
    return stretched;
  });
}

/**
 * The named profile with overrides applied, as an arrival plan. Scaling `rate` multiplies every rate by
 * rate / peak (rounded: k6 wants integer rates) and, unless maxInFlight is given, multiplies maxInFlight and
 * preAllocated by the same factor (rounded up) so the latency a run can absorb (maxInFlight / rate) stays the same.
 */
export function resolveProfile(name: string, overrides: ProfileOverrides = {}, set: ProfileSet = loadProfiles()): ResolvedProfile {
  const profile = Object.hasOwn(set.profiles, name) ? set.profiles[name] : undefined;
  if (!profile) throw new UnknownProfileError(name, Object.keys(set.profiles));
  checkOverrides(overrides);

  const peak =
    profile.executor === 'constant-arrival-rate' ? profile.rate : Math.max(profile.startRate, ...profile.stages.map((s) => s.target));
  const factor = overrides.rate === undefined ? 1 : overrides.rate / peak;
  const scaleRate = (r: number): number => Math.round(r * factor);

  let plan: ArrivalPlan;
  let durationMs: number;
  if (profile.executor === 'constant-arrival-rate') {
    durationMs = toMs(overrides.duration ?? profile.duration);
    plan = { kind: 'constant', ratePerSecond: scaleRate(profile.rate), durationSeconds: durationMs / MS_PER_SECOND };
  } else {
    const originalMs = profile.stages.map((s) => toMs(s.duration));
    const stagesMs = overrides.duration === undefined ? originalMs : stretchStages(originalMs, toMs(overrides.duration));
    durationMs = stagesMs.reduce((a, b) => a + b, 0);
    const stages: RateStage[] = profile.stages.map((s, k) => ({
      target: scaleRate(s.target),
      durationSeconds: stagesMs[k]! / MS_PER_SECOND,
    }));
    plan = { kind: 'ramping', startRate: scaleRate(profile.startRate), stages };
  }

  const maxInFlight = overrides.maxInFlight ?? Math.max(1, Math.ceil(profile.maxInFlight * factor));
  const preAllocated = Math.min(maxInFlight, Math.max(1, Math.ceil(profile.preAllocated * factor)));
  return {
    name,
    description: profile.description,
    executor: profile.executor,
    plan,
    durationSeconds: durationMs / MS_PER_SECOND,
    peakRate: scaleRate(peak),
    maxInFlight,
    preAllocated,
    thresholds: { ...profile.thresholds },
    requestTimeoutMs: set.requestTimeoutMs,
  };
}
