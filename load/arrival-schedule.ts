// When each request of an open-model run is due, following k6's arrival-rate executors exactly, so a profile
// means the same load whether the Node generator or k6 drives it:
// - constant-arrival-rate: request i (0-based) is due at i / rate; requests due before `duration` run,
//   so there are ceil(rate * duration) of them (k6: constant_arrival_rate.go, first iteration at t = 0).
// - ramping-arrival-rate: the rate moves linearly between stage targets; request i is due when the area under
//   the rate curve reaches i + 1, so there are floor(total area) of them (k6: ramping_arrival_rate.go `cal`).
// Rates are per second, times in the schedule are milliseconds from the start of the run.

export interface RateStage {
  /** rate (requests per second) reached at the end of the stage */
  readonly target: number;
  readonly durationSeconds: number;
}

export type ArrivalPlan =
  | { readonly kind: 'constant'; readonly ratePerSecond: number; readonly durationSeconds: number }
  | { readonly kind: 'ramping'; readonly startRate: number; readonly stages: readonly RateStage[] };

export interface ArrivalSchedule {
  /** how many requests the schedule holds */
  readonly total: number;
  /** how long the schedule lasts (ms); the last request is due before or at this time */
  readonly durationMs: number;
  /** when request `i` (0-based, i < total) is due, in ms from the start of the run; non-decreasing in i */
  offsetMs(i: number): number;
}

export class ScheduleIndexError extends RangeError {
  override readonly name = 'ScheduleIndexError';
  constructor(index: number, total: number) {
    super(`request index: expected an integer in [0, ${total - 1}], got ${index}`);
  }
}

export class InvalidArrivalPlanError extends Error {
  override readonly name = 'InvalidArrivalPlanError';
}

const MS_PER_SECOND = 1000;
/** Floating-point slack when comparing areas: a stage that "ends at 400 requests" may sum to 399.9999999. */
const AREA_EPSILON = 1e-9;

export function arrivalSchedule(plan: ArrivalPlan): ArrivalSchedule {
  return plan.kind === 'constant'
    ? constantSchedule(plan.ratePerSecond, plan.durationSeconds)
    : rampingSchedule(plan.startRate, plan.stages);
}

/** The first `limit` due times of a schedule (all of them by default): handy for tests and plots. */
export function scheduleOffsetsMs(schedule: ArrivalSchedule, limit = schedule.total): number[] {
  const count = Math.min(limit, schedule.total);
  return Array.from({ length: count }, (_, i) => schedule.offsetMs(i));
}

function assertFiniteNonNegative(value: number, what: string): void {
  if (!Number.isFinite(value) || value < 0) throw new InvalidArrivalPlanError(`${what}: expected a finite number >= 0, got ${value}`);
}

function checkIndex(i: number, total: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= total) throw new ScheduleIndexError(i, total);
}

function constantSchedule(rate: number, durationSeconds: number): ArrivalSchedule {
  assertFiniteNonNegative(rate, 'ratePerSecond');
  assertFiniteNonNegative(durationSeconds, 'durationSeconds');
  const durationMs = durationSeconds * MS_PER_SECOND;
  // Requests at i/rate for every i/rate < duration. The epsilon keeps 200/s * 2 s at 400, not 401.
  const total = rate === 0 ? 0 : Math.max(0, Math.ceil(rate * durationSeconds - AREA_EPSILON));
  return {
    total,
    durationMs,
    offsetMs(i) {
      checkIndex(i, total);
      return (i * MS_PER_SECOND) / rate;
    },
  };
}

interface Segment {
  startMs: number;
  durationSeconds: number;
  from: number;
  to: number;
  areaBefore: number;
  areaAfter: number;
}

function rampingSchedule(startRate: number, stages: readonly RateStage[]): ArrivalSchedule {
  assertFiniteNonNegative(startRate, 'startRate');
  const segments: Segment[] = [];
  let from = startRate;
  let area = 0;
  let startMs = 0;
  stages.forEach((stage, k) => {
    assertFiniteNonNegative(stage.target, `stages[${k}].target`);
    assertFiniteNonNegative(stage.durationSeconds, `stages[${k}].durationSeconds`);
    const stageArea = (stage.durationSeconds * (from + stage.target)) / 2;
    segments.push({
      startMs,
      durationSeconds: stage.durationSeconds,
      from,
      to: stage.target,
      areaBefore: area,
      areaAfter: area + stageArea,
    });
    area += stageArea;
    startMs += stage.durationSeconds * MS_PER_SECOND;
    from = stage.target;
  });
  const total = Math.max(0, Math.floor(area + AREA_EPSILON));
  const durationMs = startMs;

  const segmentFor = (needed: number): Segment => {
    // First segment whose cumulative area reaches `needed` (binary search: areaAfter never decreases).
    let lo = 0;
    let hi = segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (segments[mid]!.areaAfter + AREA_EPSILON >= needed) hi = mid;
      else lo = mid + 1;
    }
    return segments[lo]!;
  };

  return {
    total,
    durationMs,
    offsetMs(i) {
      checkIndex(i, total);
      const needed = i + 1;
      const seg = segmentFor(needed);
      const q = needed - seg.areaBefore;
      const d = seg.durationSeconds;
      let t: number;
      if (seg.from === seg.to) {
        t = q / seg.from;
      } else {
        // Solve from*t + (to-from)*t^2/(2d) = q for t in [0, d]; this rationalised root stays exact when from = 0
        // and does not cancel catastrophically when the rate ramps down.
        const discriminant = seg.from * seg.from + (2 * q * (seg.to - seg.from)) / d;
        t = (2 * q) / (seg.from + Math.sqrt(Math.max(0, discriminant)));
      }
      const clamped = Math.min(Math.max(t, 0), d);
      return seg.startMs + clamped * MS_PER_SECOND;
    },
  };
}
