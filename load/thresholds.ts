import type { OpenModelSummary } from './open-model-generator.ts';
import type { ProfileThresholds } from './profiles.ts';

// The Node generator's reading of a profile's thresholds, matching what load/k6/profile-options.js gives k6:
// http_req_failed rate<=X, dropped_iterations count<=N, http_req_duration p(99)<=MS (all inclusive).
// One deliberate difference: p99 here is measured from each request's DUE time (no coordinated omission);
// k6's http_req_duration starts when the request is sent. Ours is the stricter of the two.

export type ThresholdName = 'failed-rate' | 'dropped-iterations' | 'p99-latency';

export interface ThresholdCheck {
  name: ThresholdName;
  /** e.g. "rate<=0.01" */
  expected: string;
  /** null when there was nothing to measure (no completed request): the check then fails */
  actual: number | null;
  ok: boolean;
}

export interface ThresholdVerdict {
  passed: boolean;
  checks: ThresholdCheck[];
}

export function evaluateThresholds(summary: OpenModelSummary, thresholds: ProfileThresholds): ThresholdVerdict {
  const completed = summary.ok + summary.failed;
  const failedRate = completed > 0 ? summary.failed / completed : null;
  const p99 = summary.latencyMs.p99;
  const checks: ThresholdCheck[] = [
    {
      name: 'failed-rate',
      expected: `rate<=${thresholds.maxFailedRate}`,
      actual: failedRate,
      ok: failedRate !== null && failedRate <= thresholds.maxFailedRate,
    },
    {
      name: 'dropped-iterations',
      expected: `count<=${thresholds.maxDroppedIterations}`,
      actual: summary.dropped,
      ok: summary.dropped <= thresholds.maxDroppedIterations,
    },
    { name: 'p99-latency', expected: `p(99)<=${thresholds.maxP99Ms}ms`, actual: p99, ok: p99 !== null && p99 <= thresholds.maxP99Ms },
  ];
  return { passed: checks.every((c) => c.ok), checks };
}
