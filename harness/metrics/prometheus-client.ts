/**
 * The few Prometheus HTTP API calls the harness makes (instant and range queries, targets), with
 * Prometheus's own error types kept: an `errorType` of `bad_data` means the PromQL is wrong,
 * `execution`/`timeout`/`unavailable` that the server could not answer.
 */

const REQUEST_TIMEOUT_MS = 10_000;

export type SampleValue = [seconds: number, value: string];
export interface InstantSeries {
  metric: Record<string, string>;
  value: SampleValue;
}
export interface RangeSeries {
  metric: Record<string, string>;
  values: SampleValue[];
}
export type QueryData =
  | { resultType: 'vector'; result: InstantSeries[] }
  | { resultType: 'matrix'; result: RangeSeries[] }
  | { resultType: 'scalar' | 'string'; result: SampleValue };

export interface ActiveTarget {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

export class PrometheusQueryError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly query?: string,
  ) {
    super(message);
    this.name = 'PrometheusQueryError';
  }
}

export interface RangeOptions {
  /** Seconds since the epoch (or Date). */
  start: number | Date;
  end: number | Date;
  /** Seconds between points. */
  stepSeconds: number;
}

export class PrometheusClient {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:9091`. */
  readonly url: string;

  constructor(url: string) {
    this.url = url.replace(/\/+$/, '');
  }

  /** Instant query at `time` (default now). */
  async query(promql: string, time?: number | Date): Promise<QueryData> {
    const params: Record<string, string> = { query: promql };
    if (time !== undefined) params.time = String(seconds(time));
    return this.#post('/api/v1/query', params, promql);
  }

  async queryRange(promql: string, range: RangeOptions): Promise<QueryData> {
    return this.#post(
      '/api/v1/query_range',
      { query: promql, start: String(seconds(range.start)), end: String(seconds(range.end)), step: String(range.stepSeconds) },
      promql,
    );
  }

  async targets(): Promise<ActiveTarget[]> {
    const response = await fetch(`${this.url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = (await response.json()) as {
      status: string;
      data?: { activeTargets: ActiveTarget[] };
      errorType?: string;
      error?: string;
    };
    if (body.status !== 'success' || !body.data)
      throw new PrometheusQueryError(body.errorType ?? 'http', body.error ?? `targets: HTTP ${response.status}`);
    return body.data.activeTargets;
  }

  /**
   * Waits until every active target (of `jobs`, if given) has been scraped after `after`: the
   * values set before `after` are then in the TSDB. Resolves with the targets as last seen.
   */
  async waitForScrapes(options: { after?: Date; jobs?: readonly string[]; timeoutMs?: number } = {}): Promise<ActiveTarget[]> {
    const after = (options.after ?? new Date()).getTime();
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    let last: ActiveTarget[] = [];
    while (Date.now() < deadline) {
      last = (await this.targets()).filter((t) => !options.jobs || options.jobs.includes(t.labels.job ?? ''));
      if (last.length > 0 && last.every((t) => Date.parse(t.lastScrape) > after && t.health === 'up')) return last;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const stale = last.filter((t) => !(Date.parse(t.lastScrape) > after)).map((t) => t.scrapeUrl);
    throw new PrometheusQueryError(
      'timeout',
      `targets not scraped within ${options.timeoutMs ?? 15_000} ms: ${stale.join(', ') || 'no active targets'}`,
    );
  }

  async #post(path: string, params: Record<string, string>, promql: string): Promise<QueryData> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new PrometheusQueryError('unavailable', `${this.url}${path}: ${(err as Error).message}`, promql);
    }
    const text = await response.text();
    let body: { status?: string; data?: QueryData; errorType?: string; error?: string };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new PrometheusQueryError('http', `${path}: HTTP ${response.status}: ${text.slice(0, 200)}`, promql);
    }
    if (body.status !== 'success' || !body.data)
      throw new PrometheusQueryError(body.errorType ?? 'http', body.error ?? `${path}: HTTP ${response.status}`, promql);
    return body.data;
  }
}

function seconds(t: number | Date): number {
  return t instanceof Date ? t.getTime() / 1000 : t;
}

/** How many series (or scalar results) a query returned. */
export function seriesCount(data: QueryData): number {
  return data.resultType === 'vector' || data.resultType === 'matrix' ? data.result.length : 1;
}
