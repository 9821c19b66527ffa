import { describe, expect, it } from 'vitest';
import { InvalidArrivalPlanError, ScheduleIndexError, arrivalSchedule, scheduleOffsetsMs } from '../../../load/arrival-schedule.ts';

const close = (actual: number[], expected: number[], digits = 6): void => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, k) => expect(a).toBeCloseTo(expected[k]!, digits));
};

describe('constant arrival rate (k6 constant-arrival-rate: first request at t = 0)', () => {
  it('10/s for 1 s: 10 requests every 100 ms from 0', () => {
    const s = arrivalSchedule({ kind: 'constant', ratePerSecond: 10, durationSeconds: 1 });
    expect(s.total).toBe(10);
    expect(s.durationMs).toBe(1000);
    close(scheduleOffsetsMs(s), [0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });

  it('3/s for 1.1 s: ceil(3.3) = 4 requests, the last at 1000 ms', () => {
    const s = arrivalSchedule({ kind: 'constant', ratePerSecond: 3, durationSeconds: 1.1 });
    expect(s.total).toBe(4);
    close(scheduleOffsetsMs(s), [0, 1000 / 3, 2000 / 3, 1000]);
  });

  it('200/s for 2 s: exactly 400 requests (no floating-point extra)', () => {
    const s = arrivalSchedule({ kind: 'constant', ratePerSecond: 200, durationSeconds: 2 });
    expect(s.total).toBe(400);
    expect(s.offsetMs(399)).toBeCloseTo(1995, 9);
  });

  it('rate 0 gives an empty schedule', () => {
    expect(arrivalSchedule({ kind: 'constant', ratePerSecond: 0, durationSeconds: 5 }).total).toBe(0);
  });
});

describe('ramping arrival rate (k6 ramping-arrival-rate: request i when the area under the rate reaches i + 1)', () => {
  it('flat 2/s for 5 s then 2 -> 3/s over 5 s: 10 + 12.5 area = 22 requests (k6 source example)', () => {
    const s = arrivalSchedule({
      kind: 'ramping',
      startRate: 2,
      stages: [
        { target: 2, durationSeconds: 5 },
        { target: 3, durationSeconds: 5 },
      ],
    });
    expect(s.total).toBe(22);
    expect(s.durationMs).toBe(10_000);
    close(scheduleOffsetsMs(s, 10), [500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000]);
    // 11th: 2t + t^2/10 = 1  =>  t = 2 / (2 + sqrt(4.4)) = 0.488088 s into the ramp
    expect(s.offsetMs(10)).toBeCloseTo(5000 + 488.088482, 3);
    // 22nd: 2t + t^2/10 = 12  =>  t = 24 / (2 + sqrt(8.8)) = 4.832397 s
    expect(s.offsetMs(21)).toBeCloseTo(5000 + 4832.396974, 3);
  });

  it('0 -> 10/s over 2 s: area 10; request k at t = sqrt(k / 2.5)', () => {
    const s = arrivalSchedule({ kind: 'ramping', startRate: 0, stages: [{ target: 10, durationSeconds: 2 }] });
    expect(s.total).toBe(10);
    close(
      scheduleOffsetsMs(s),
      Array.from({ length: 10 }, (_, i) => 1000 * Math.sqrt((i + 1) / 2.5)),
    );
    expect(s.offsetMs(9)).toBeCloseTo(2000, 6);
  });

  it('10 -> 0/s over 2 s: ramp down, the 10th request lands exactly at the end', () => {
    const s = arrivalSchedule({ kind: 'ramping', startRate: 10, stages: [{ target: 0, durationSeconds: 2 }] });
    expect(s.total).toBe(10);
    // 10t - 2.5t^2 = 1  =>  t = 2 - sqrt(4 - 0.4) = 0.102633 s
    expect(s.offsetMs(0)).toBeCloseTo(102.633403, 4);
    expect(s.offsetMs(9)).toBeCloseTo(2000, 6);
  });

  it('a zero-length stage is an instant jump; a zero-rate stage is silence', () => {
    const s = arrivalSchedule({
      kind: 'ramping',
      startRate: 0,
      stages: [
        { target: 0, durationSeconds: 1 },
        { target: 10, durationSeconds: 0 },
        { target: 10, durationSeconds: 1 },
      ],
    });
    expect(s.total).toBe(10);
    close(scheduleOffsetsMs(s), [1100, 1200, 1300, 1400, 1500, 1600, 1700, 1800, 1900, 2000]);
  });

  it('a fractional total area rounds down (2.5 requests -> 2)', () => {
    const s = arrivalSchedule({ kind: 'ramping', startRate: 5, stages: [{ target: 5, durationSeconds: 0.5 }] });
    expect(s.total).toBe(2);
    close(scheduleOffsetsMs(s), [200, 400]);
  });

  it('due times never decrease across a multi-stage spike', () => {
    const s = arrivalSchedule({
      kind: 'ramping',
      startRate: 50,
      stages: [
        { target: 50, durationSeconds: 10 },
        { target: 500, durationSeconds: 5 },
        { target: 500, durationSeconds: 15 },
        { target: 50, durationSeconds: 5 },
        { target: 50, durationSeconds: 15 },
      ],
    });
    // 500 + 1375 + 7500 + 1375 + 750
    expect(s.total).toBe(11_500);
    const offsets = scheduleOffsetsMs(s);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeGreaterThanOrEqual(offsets[i - 1]!);
    expect(offsets.at(-1)!).toBeLessThanOrEqual(s.durationMs);
  });
});

describe('bad input', () => {
  it('names the index range', () => {
    const s = arrivalSchedule({ kind: 'constant', ratePerSecond: 10, durationSeconds: 1 });
    expect(() => s.offsetMs(10)).toThrow(ScheduleIndexError);
    expect(() => s.offsetMs(-1)).toThrow(/expected an integer in \[0, 9\]/);
  });

  it('rejects negative rates and durations with what was expected', () => {
    expect(() => arrivalSchedule({ kind: 'constant', ratePerSecond: -1, durationSeconds: 1 })).toThrow(InvalidArrivalPlanError);
    expect(() => arrivalSchedule({ kind: 'ramping', startRate: 0, stages: [{ target: 5, durationSeconds: -2 }] })).toThrow(
      /stages\[0\]\.durationSeconds: expected a finite number >= 0, got -2/,
    );
  });
});
