import type { K6SummaryData } from '../../../load/k6/summary.js';

// Hand-made data in the shape k6 passes to handleSummary (k6 docs, "Custom summary" > "Summary data reference";
// k6's summarizeMetricsToObject): root_group, options, state.testRunDurationMs, and per metric its type, what
// it contains, its values (trend keys follow summaryTrendStats) and, where set, thresholds[expression].ok.
// This run of orders.js with the `load` profile crossed two thresholds: dropped iterations and p99 latency.

export const TRICKY_METRIC = `http_req_duration{name:POST /orders?a=1&b=<2>,note:"x" 'y'}`;

export function crossedRun(): K6SummaryData & Record<string, unknown> {
  return {
    root_group: { name: '', path: '', id: 'd41d8cd98f00b204e9800998ecf8427e', groups: [], checks: [] },
    options: { summaryTrendStats: ['avg', 'min', 'med', 'p(90)', 'p(99)', 'max'], summaryTimeUnit: '', noColor: false },
    state: { isStdOutTTY: false, isStdErrTTY: false, testRunDurationMs: 60412.5 },
    metrics: {
      // k6 hands metrics (and each metric's thresholds) over in Go map order: deliberately unsorted here.
      http_req_duration: {
        type: 'trend',
        contains: 'time',
        values: { 'p(99)': 812.3, max: 1503.2, avg: 41.7, min: 1.2, med: 12.9, 'p(90)': 88.4 },
        thresholds: { 'p(99)<=500': { ok: false } },
      },
      vus: { type: 'gauge', contains: 'default', values: { value: 3, min: 1, max: 100 } },
      http_reqs: { type: 'counter', contains: 'default', values: { count: 11988, rate: 198.43 } },
      dropped_iterations: {
        type: 'counter',
        contains: 'default',
        values: { count: 12, rate: 0.2 },
        thresholds: { 'count<=0': { ok: false } },
      },
      http_req_failed: {
        type: 'rate',
        contains: 'default',
        values: { rate: 0.0042, passes: 50, fails: 11938 },
        thresholds: { 'rate<=0.01': { ok: true } },
      },
      'http_req_duration{expected_response:true}': {
        type: 'trend',
        contains: 'time',
        values: { avg: 40.1, min: 1.2, med: 12.5, 'p(90)': 85, 'p(99)': 790.1, max: 1500 },
      },
      [TRICKY_METRIC]: {
        type: 'trend',
        contains: 'time',
        values: { avg: 10, min: 1, med: 9, 'p(90)': 20, 'p(99)': 30, max: 250 },
        thresholds: { 'p(99)<=500': { ok: true }, 'max<100': { ok: false } },
      },
    },
  };
}

/** The same run with every threshold held. */
export function passedRun(): K6SummaryData & Record<string, unknown> {
  const data = crossedRun();
  for (const metric of Object.values(data.metrics)) {
    for (const outcome of Object.values(metric.thresholds ?? {})) outcome.ok = true;
  }
  return data;
}
