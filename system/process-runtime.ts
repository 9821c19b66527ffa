import type { SystemProcessConfig } from './config.ts';
import type { HistoryWriter } from '../instrument/history-writer.ts';
import { MeteredHistoryWriter } from './metrics/metered-history.ts';
import { initSystemMetrics } from './metrics/system-metrics.ts';

/** How long a stopping process may take to finish in-flight work before it exits anyway. */
export const GRACEFUL_STOP_MS = 3_000;

export interface ProcessRuntime {
  config: SystemProcessConfig;
  history: HistoryWriter;
  /** Registers cleanup that runs, in reverse order, when the process is asked to stop. */
  onStop(fn: () => Promise<void> | void): void;
  /** Tells the parent (one JSON line on stdout) and the history that this process is serving. */
  ready(info?: Record<string, unknown>): void;
}

/**
 * What every system process shares: its history, an orderly stop on SIGTERM/SIGINT, and exit when
 * stdin closes, because the harness holds our stdin open: if the harness dies without stopping us,
 * we stop ourselves instead of lingering as an orphan.
 */
export function startRuntime(config: SystemProcessConfig): ProcessRuntime {
  // Metrics first: the history feeds connection state and dead letters into them.
  const history = new MeteredHistoryWriter(config.historyFile, config.instance, initSystemMetrics(config));
  history.append({
    kind: 'lifecycle',
    event: 'start',
    detail: `pid ${process.pid}${config.flaws.length ? ` flaws ${config.flaws.join(',')}` : ''}`,
  });
  const cleanups: (() => Promise<void> | void)[] = [];
  let stopping = false;

  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    history.append({ kind: 'lifecycle', event: 'stopping', detail: why });
    const deadline = setTimeout(() => process.exit(0), GRACEFUL_STOP_MS + 2_000);
    deadline.unref();
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch {
        // keep stopping: the remaining cleanups matter more than this one's error
      }
    }
    history.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.stdin.on('end', () => void stop('parent closed stdin'));
  process.stdin.on('error', () => void stop('stdin error'));
  process.stdin.resume();

  return {
    config,
    history,
    onStop: (fn) => cleanups.push(fn),
    ready(info = {}) {
      history.append({ kind: 'lifecycle', event: 'ready', detail: JSON.stringify(info) });
      process.stdout.write(JSON.stringify({ ready: true, instance: config.instance, pid: process.pid, ...info }) + '\n');
    },
  };
}
