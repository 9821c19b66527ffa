// Percentiles in bounded memory: log-spaced buckets with 1% relative width, so a 30-minute soak costs the same
// few kilobytes as a 2-second test (an exact sample list would grow without bound). Reported percentiles are the
// bucket's upper edge, clamped to the exact min and max: at most 1% above the true value, never below it.

const SMALLEST_MS = 0.01;
const RELATIVE_PRECISION = 0.01;
/** 0.01 ms * 1.01^2600 is about 1.7e9 ms (20 days): every latency fits. */
const BUCKET_COUNT = 2600;
const LOG_BASE = Math.log1p(RELATIVE_PRECISION);

export interface LatencySummary {
  count: number;
  /** null when nothing was recorded */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export class LatencyHistogram {
  private readonly buckets = new Float64Array(BUCKET_COUNT);
  private n = 0;
  private minValue = Infinity;
  private maxValue = -Infinity;

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const value = Math.max(0, ms);
    this.buckets[bucketOf(value)]! += 1;
    this.n += 1;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
  }

  /** Nearest-rank percentile (p in 0..100): the smallest recorded value with at least p% of values at or below it. */
  percentile(p: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.n));
    let seen = 0;
    for (let b = 0; b < BUCKET_COUNT; b++) {
      seen += this.buckets[b]!;
      if (seen >= rank) return Math.min(Math.max(upperEdge(b), this.minValue), this.maxValue);
    }
    return this.maxValue;
  }

  summary(): LatencySummary {
    return {
      count: this.n,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
      max: this.n === 0 ? null : this.maxValue,
    };
  }
}

function bucketOf(ms: number): number {
  if (ms <= SMALLEST_MS) return 0;
  return Math.min(BUCKET_COUNT - 1, 1 + Math.floor(Math.log(ms / SMALLEST_MS) / LOG_BASE));
}

function upperEdge(bucket: number): number {
  return SMALLEST_MS * Math.exp(bucket * LOG_BASE);
}
