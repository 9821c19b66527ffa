import { Worker } from 'node:worker_threads';
import type { ClientLoadSummary } from '../../load/client-order-load.ts';
import { retryPolicy } from '../../load/client-retry.ts';
import { assertWorkload, type HttpWorkload } from '../../load/http-workload.ts';
import type { LiveStats } from '../../load/open-model-generator.ts';
import type { OrderMix } from '../../load/order-body.ts';
import type { RetrySummary } from '../../load/order-retries.ts';

export type { ClientLoadSummary } from '../../load/client-order-load.ts';
export type { RetrySummary } from '../../load/order-retries.ts';

export interface ClientLoadOptions {
  apiUrl: string;
  rate: number;
  durationSeconds: number;
  seed: number;
  /** The client's own history: one `order-request` event per attempt (first or retry) of each order. */
  historyFile: string;
  /** Fractions of orders carrying a marker (poison, flash); none when absent. */
  mix?: OrderMix;
  /** Retries of an order refused for unavailability or left in doubt; default 5 (load/client-retry.ts), 0 turns them off. */
  clientRetries?: number | undefined;
  /** The target's workload (path, body, statuses); default the reference system's. Plain data: it crosses into the worker thread. */
  workload?: HttpWorkload;
}

/** `stop`: dispatch no new order, let pending retries finish; `abort`: also abandon pending retries. */
export type ToLoadWorker = { type: 'stop' } | { type: 'abort' };
export type FromLoadWorker =
  | { type: 'stats'; stats: LiveStats; retries: RetrySummary }
  | { type: 'done'; summary: ClientLoadSummary }
  | { type: 'failed'; error: string };

export class ClientLoadFailedError extends Error {
  override readonly name = 'ClientLoadFailedError';
}

export interface ClientLoad {
  /** The newest totals of first attempts (refreshed a few times a second). */
  stats(): LiveStats;
  /** The newest retry totals. */
  retries(): RetrySummary | undefined;
  /** Orders answered 202 so far, by their first attempt or a retry. */
  accepted(): number;
  /**
   * Stops dispatching new orders now (the runner ends the load once the system has shown it
   * recovered); sent orders still get their retries.
   */
  stop(): void;
  /** Resolves once every order's first attempt and retries settled: at most the retry deadline after the last order. */
  done: Promise<ClientLoadSummary>;
}

const EMPTY_STATS: LiveStats = { elapsedMs: 0, sent: 0, ok: 0, failed: 0, dropped: 0, inFlight: 0, currentRate: 0 };

/**
 * Runs the order load in a worker thread with its own event loop, so whatever the harness does
 * meanwhile (booting a broker, reading histories, scraping) cannot delay a request's start: at
 * hundreds of orders per second a 100 ms stall would otherwise show up as dropped requests.
 * Aborting `signal` stops dispatching and abandons pending retries; `done` still resolves with the summary.
 */
export function startClientLoad(options: ClientLoadOptions, signal: AbortSignal): ClientLoad {
  // Bad input fails here, with its own error, not as a dead worker.
  retryPolicy(options.clientRetries);
  if (options.workload) assertWorkload(options.workload, options.mix);
  const entry = new URL('./client-load-worker.ts', import.meta.url).href;
  // Worker threads do not inherit tsx's loader: register it first, then load the TypeScript entry.
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: options });
  let latest = EMPTY_STATS;
  let latestRetries: RetrySummary | undefined;
  const done = new Promise<ClientLoadSummary>((resolve, reject) => {
    worker.on('message', (message: FromLoadWorker) => {
      if (message.type === 'stats') {
        latest = message.stats;
        latestRetries = message.retries;
        return;
      }
      if (message.type === 'done') resolve(message.summary);
      else reject(new ClientLoadFailedError(`client load failed: ${message.error}`));
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new ClientLoadFailedError(`load worker exited (code ${code}) before finishing`)));
  });
  const send = (message: ToLoadWorker) => worker.postMessage(message);
  const stop = () => send({ type: 'stop' });
  const abort = () => send({ type: 'abort' });
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  void done.finally(() => signal.removeEventListener('abort', abort)).catch(() => {});
  return { stats: () => latest, retries: () => latestRetries, accepted: () => latest.ok + (latestRetries?.recovered ?? 0), stop, done };
}
