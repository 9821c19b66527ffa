// Types for load/k6/summary.js: the data k6 passes to handleSummary() (its documented, "legacy" shape, the
// default through k6 1.x: metrics[name].thresholds[expression].ok) and what the module makes of it.
// summary.js annotates its functions with these types, so `tsc -p load/k6` checks the implementation against them.

export type K6MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

export interface K6SummaryMetric {
  type: K6MetricType;
  /** 'time' (milliseconds), 'data' (bytes) or 'default' */
  contains: string;
  /** counter: count, rate; gauge: value, min, max; rate: rate, passes, fails; trend: one key per summaryTrendStats entry */
  values: Record<string, number>;
  /** present when thresholds were set on this metric; keyed by the threshold expression as written, e.g. "p(99)<=500" */
  thresholds?: Record<string, { ok: boolean }>;
}

export interface K6SummaryData {
  metrics: Record<string, K6SummaryMetric>;
  state?: { testRunDurationMs: number; isStdOutTTY?: boolean; isStdErrTTY?: boolean };
  options?: { summaryTrendStats?: string[]; summaryTimeUnit?: string; noColor?: boolean };
  root_group?: unknown;
  setup_data?: unknown;
}

export interface ThresholdResult {
  /** metric or sub-metric name, e.g. "http_req_duration" or "http_req_duration{name:POST /orders}" */
  metric: string;
  /** the expression as written in options.thresholds, e.g. "p(99)<=500" */
  threshold: string;
  ok: boolean;
  /** the statistic the expression reads, when k6 reported it, e.g. "p(99)" */
  aggregation?: string;
  value?: number;
}

export interface SummaryVerdict {
  /** every threshold held and the data could be read */
  passed: boolean;
  thresholds: ThresholdResult[];
  /** why the data could not be read (then passed is false) */
  error?: string;
}

export interface SummaryOptions {
  /** directory the files go to (k6 resolves a relative one against its working directory); default "." */
  dir?: string;
  /** names the JUnit test suite and heads the text summary, e.g. "orders" */
  suite?: string;
  /** facts about the run (profile, URL, seed...), kept in the JSON summary and as JUnit suite properties */
  properties?: Record<string, string | number | boolean>;
}

/** The file names handleSummary writes, inside SummaryOptions.dir. */
export declare const JSON_SUMMARY_FILE: string;
export declare const JUNIT_FILE: string;

export declare function evaluateSummary(data: unknown): SummaryVerdict;
export declare function junitXml(data: unknown, options?: SummaryOptions): string;
export declare function summaryJson(data: unknown, options?: SummaryOptions): string;
export declare function textSummary(data: unknown, options?: SummaryOptions): string;
export declare function summaryPath(dir: string | undefined, file: string): string;
/** What handleSummary returns: { stdout: text, "<dir>/k6-summary.json": JSON, "<dir>/k6-junit.xml": XML }. */
export declare function summaryOutputs(data: unknown, options?: SummaryOptions): Record<string, string>;
