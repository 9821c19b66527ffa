import { Worker } from 'node:worker_threads';
import type { LiveStats, OpenModelSummary } from '../../load/open-model-generator.ts';
import type { OrderMix } from '../../load/order-body.ts';

export interface ClientLoadOptions {
  apiUrl: string;
  rate: number;
  durationSeconds: number;
  seed: number;
  /** The client's own history: one `order-request` event per answered (or unanswerable) request. */
  historyFile: string;
  /** Fractions of orders carrying a marker (poison, flash); none when absent. */
  mix?: OrderMix;
}

export type ToLoadWorker = { type: 'stop' };
export type FromLoadWorker = { type: 'stats'; stats: LiveStats } | { type: 'done'; summary: OpenModelSummary };

export interface ClientLoad {
  /** The newest totals (refreshed a few times a second). */
  stats(): LiveStats;
  /** Orders answered 202 so far. */
  accepted(): number;
  done: Promise<OpenModelSummary>;
}

const EMPTY_STATS: LiveStats = { elapsedMs: 0, sent: 0, ok: 0, failed: 0, dropped: 0, inFlight: 0, currentRate: 0 };

/**
 * Runs the order load in a worker thread with its own event loop, so whatever the harness does
 * meanwhile (booting a broker, reading histories, scraping) cannot delay a request's start: at
 * hundreds of orders per second a 100 ms stall would otherwise show up as dropped requests.
 * Aborting `signal` stops dispatching; `done` still resolves with the summary.
 */
export function startClientLoad(options: ClientLoadOptions, signal: AbortSignal): ClientLoad {
  const entry = new URL('./client-load-worker.ts', import.meta.url).href;
  // Worker threads do not inherit tsx's loader: register it first, then load the TypeScript entry.
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`;
  const worker = new Worker(boot, { eval: true, workerData: options });
  let latest = EMPTY_STATS;
  const done = new Promise<OpenModelSummary>((resolve, reject) => {
    worker.on('message', (message: FromLoadWorker) => {
      if (message.type === 'stats') latest = message.stats;
      else {
        resolve(message.summary);
        void worker.terminate();
      }
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`load worker exited (code ${code}) before finishing`)));
  });
  const stop = () => worker.postMessage({ type: 'stop' } satisfies ToLoadWorker);
  if (signal.aborted) stop();
  else signal.addEventListener('abort', stop, { once: true });
  void done.finally(() => signal.removeEventListener('abort', stop)).catch(() => {});
  return { stats: () => latest, accepted: () => latest.ok, done };
}
