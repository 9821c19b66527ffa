import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { HistoryEvent } from '../../instrument/history-event.ts';
import { parseStored, storedRunSchema } from '../checkers/run-record-schema.ts';
import { readRunHistory } from '../history/read-history.ts';
import { BROKER_TIMELINE_FILE, readBrokerSamples } from '../runner/broker-sampler.ts';
import type { RunResults } from '../runner/run-results.ts';
import { renderRunReport } from './run-report.ts';

export const REPORT_FILE = 'report.html';

export interface WrittenReport {
  path: string;
  bytes: number;
  seconds: number;
}

/**
 * Writes report.html into a run directory. At the end of a run the results and the events are
 * already in memory and are passed in; for a stored run (`npm run report`) they are read from disk.
 */
export function writeRunReport(runDir: string, loaded?: { results: RunResults; events: readonly HistoryEvent[] }): WrittenReport {
  const started = performance.now();
  const results = loaded?.results ?? readResults(runDir);
  const events = loaded?.events ?? readRunHistory(join(runDir, 'history')).events;
  const html = renderRunReport({ results, events, samples: readBrokerSamples(runDir), files: runFiles(runDir) });
  const path = join(runDir, REPORT_FILE);
  writeFileSync(path, html);
  return { path, bytes: Buffer.byteLength(html), seconds: (performance.now() - started) / 1000 };
}

export class NotARunDirError extends Error {
  constructor(readonly runDir: string) {
    super(`no results.json in ${runDir}: expected a run directory (runs/<scenario>/<timestamp>)`);
    this.name = 'NotARunDirError';
  }
}

function readResults(runDir: string): RunResults {
  const file = join(runDir, 'results.json');
  if (!existsSync(file)) throw new NotARunDirError(runDir);
  return parseStored(storedRunSchema, JSON.parse(readFileSync(file, 'utf8')), file) as unknown as RunResults;
}

/** What a reader may want next to the report: results, histories, logs, the broker's own log. Secrets (endpoints.json) stay out. */
function runFiles(runDir: string): string[] {
  const top = ['results.json', 'broker-figures.json', BROKER_TIMELINE_FILE, 'processed.json', 'processes.jsonl'].filter((f) =>
    existsSync(join(runDir, f)),
  );
  const under = (dir: string, keep: (name: string) => boolean) => listFiles(join(runDir, dir)).filter(keep);
  return [
    ...top,
    ...under('history', (f) => f.endsWith('.jsonl')),
    ...under('logs', (f) => f.endsWith('.log')),
    ...under('broker', (f) => f.endsWith('.log')),
  ].map((f) => (f.startsWith(runDir) ? relative(runDir, f) : f));
}

function listFiles(dir: string, depth = 0): string[] {
  if (!existsSync(dir) || depth > 3) return [];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? listFiles(path, depth + 1) : [path];
    });
}
