import { EndpointsNotFoundError, USAGE, parseLoadArgs, readApiUrl, type LoadCliOptions } from './cli-options.ts';
import type { LatencySummary } from './latency-histogram.ts';
import type { ClientLoadSummary } from './client-order-load.ts';
import { ORDER_RETRY_DEADLINE_MS } from './client-retry.ts';
import type { LiveStats } from './open-model-generator.ts';
import { startOrderLoad } from './order-load.ts';
import {
  InvalidProfileOverrideError,
  ProfileValidationError,
  UnknownProfileError,
  resolveProfile,
  type ResolvedProfile,
} from './profiles.ts';
import { evaluateThresholds, type ThresholdVerdict } from './thresholds.ts';
import { UsageError } from './usage-error.ts';

// `npm run load -- --rate N --duration S [--profile NAME] [--url URL]`: load alone against a running system.
// Always ends by itself: the schedule is finite, every request has a deadline, and a watchdog backs both up.

const EXIT_PASSED = 0;
const EXIT_THRESHOLD_FAILED = 1;
const EXIT_USAGE = 2;
const EXIT_INTERRUPTED = 130;
const STATUS_INTERVAL_MS = 1000;
/** Beyond schedule + request timeout + drain margin: if we are still running then, something is wrong. */
const WATCHDOG_SLACK_MS = 5000;

const ms = (v: number | null): string => (v === null ? '-' : `${v.toFixed(1)}ms`);
const latencyLine = (l: LatencySummary): string => `p50=${ms(l.p50)} p90=${ms(l.p90)} p99=${ms(l.p99)} max=${ms(l.max)} (n=${l.count})`;

function statusLine(s: LiveStats, profile: ResolvedProfile): string {
  return (
    `[${(s.elapsedMs / 1000).toFixed(0).padStart(4)}s/${profile.durationSeconds}s] rate=${s.currentRate.toFixed(1)}/s ` +
    `sent=${s.sent} ok=${s.ok} failed=${s.failed} dropped=${s.dropped} inFlight=${s.inFlight}`
  );
}

function report(profile: ResolvedProfile, apiUrl: string, summary: ClientLoadSummary, verdict: ThresholdVerdict): string {
  const r = summary.retries;
  const lines = [
    `profile ${profile.name} against ${apiUrl}${summary.stoppedEarly ? ' (stopped early)' : ''}`,
    `  rate      achieved ${summary.achievedRate.toFixed(1)}/s, target ${summary.targetRate.toFixed(1)}/s ` +
      `(peak ${profile.peakRate}/s), maxInFlight ${profile.maxInFlight}`,
    `  requests  planned ${summary.planned}, sent ${summary.sent}, ok ${summary.ok}, failed ${summary.failed} ` +
      `(abandoned ${summary.abandoned}), ` +
      `dropped ${summary.dropped} (no free slot ${summary.droppedNoFreeSlot}, late ${summary.droppedLate})`,
    `  latency   from due time:     ${latencyLine(summary.latencyMs)}`,
    `  service   from actual start: ${latencyLine(summary.serviceTimeMs)}`,
    `  duration  ${(summary.durationMs / 1000).toFixed(2)}s (dispatch ${(summary.dispatchMs / 1000).toFixed(2)}s)`,
    `  retries   ${r.needed} orders needed a retry (client retries ${r.clientRetries}): ${r.attempts} retry attempts, ` +
      `${r.recovered} accepted on retry, ${r.gaveUp} gave up, ${r.abandoned} abandoned`,
    `thresholds ${verdict.passed ? 'PASSED' : 'FAILED'}`,
    ...verdict.checks.map(
      (c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name} ${c.expected} actual=${c.actual === null ? 'none' : Number(c.actual.toFixed(4))}`,
    ),
  ];
  return lines.join('\n');
}

async function run(options: LoadCliOptions): Promise<number> {
  const apiUrl = options.url ?? readApiUrl(process.cwd());
  const overrides = {
    ...(options.rate !== undefined ? { rate: options.rate } : {}),
    ...(options.duration !== undefined ? { duration: options.duration } : {}),
    ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
  };
  const profile = resolveProfile(options.profile, overrides);

  const stopper = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\nSIGINT: stopping dispatch, waiting for requests in flight (Ctrl-C again to quit now)\n');
      stopper.abort();
    } else {
      process.exit(EXIT_INTERRUPTED);
    }
  };
  process.on('SIGINT', onSigint);

  process.stderr.write(
    `load: profile ${profile.name} (${profile.executor}, peak ${profile.peakRate}/s for ${profile.durationSeconds}s, ` +
      `maxInFlight ${profile.maxInFlight}) -> ${apiUrl}\n`,
  );
  const clientRetries = options.clientRetries ?? 0;
  const load = startOrderLoad({ apiUrl, profile, seed: options.seed, clientRetries, signal: stopper.signal });
  const live = process.stderr.isTTY;
  const ticker = setInterval(() => {
    const line = statusLine(load.stats(), profile);
    process.stderr.write(live ? `\r${line}\x1b[K` : `${line}\n`);
  }, STATUS_INTERVAL_MS);
  const watchdog = setTimeout(
    () => {
      process.stderr.write('\nload: still running long after the schedule and request timeout; giving up\n');
      process.exit(EXIT_USAGE);
    },
    profile.durationSeconds * 1000 + 2 * profile.requestTimeoutMs + (clientRetries > 0 ? ORDER_RETRY_DEADLINE_MS : 0) + WATCHDOG_SLACK_MS,
  );

  try {
    const summary = await load.done;
    if (live) process.stderr.write('\n');
    const verdict = evaluateThresholds(summary, profile.thresholds);
    if (options.json) process.stdout.write(`${JSON.stringify({ profile, apiUrl, summary, verdict }, null, 2)}\n`);
    else process.stdout.write(`${report(profile, apiUrl, summary, verdict)}\n`);
    return verdict.passed ? EXIT_PASSED : EXIT_THRESHOLD_FAILED;
  } finally {
    clearInterval(ticker);
    clearTimeout(watchdog);
    process.off('SIGINT', onSigint);
  }
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    const options = parseLoadArgs(argv);
    if (options.help) {
      process.stdout.write(`${USAGE}\n`);
      return EXIT_PASSED;
    }
    return await run(options);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`load: ${error.message}\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    if (
      error instanceof EndpointsNotFoundError ||
      error instanceof UnknownProfileError ||
      error instanceof InvalidProfileOverrideError ||
      error instanceof ProfileValidationError
    ) {
      process.stderr.write(`load: ${error.message}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`load: could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_USAGE;
  }
}

process.exitCode = await main(process.argv.slice(2));
