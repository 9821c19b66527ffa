import type { HistoryEvent } from '../../instrument/history-event.ts';
import type { FinalReadSummary } from '../env/final-read.ts';
import type { DeclaredTopology, TargetEffects } from '../target/target.ts';
import type { DeliveryLedger } from './delivery-ledger.ts';

/** Jepsen's three-valued verdict: `unknown` when the checker could not decide. */
export type Validity = true | false | 'unknown';

export interface CheckResult {
  valid: Validity;
  /** One line a person reads first. */
  summary: string;
  /** The numbers behind the verdict, for the end-of-run table. */
  table?: ResultTable;
  [detail: string]: unknown;
}

/** Everything a checker may look at after a run. */
export interface RunRecord {
  runDir: string;
  /** The target's name (`reference` for the order system in system/). */
  target: string;
  /** What the target declares about its queues: checkers are generic over it, never over a concrete system. */
  topology: DeclaredTopology;
  /** The target's effects, read back from its stores after the final read; absent when it keeps none the harness can read. */
  effects?: TargetEffects;
  /** A black-box target's own list of what it processed (repeats kept), read after the drain. */
  processed?: readonly string[];
  events: readonly HistoryEvent[];
  ledger: DeliveryLedger;
  /** Broker-side figures captured at the end of the run, when available (e.g. from the management API). */
  broker?: Record<string, unknown>;
  /** Settings of the system under test (prefetch, instances, processing times). */
  system?: Record<string, unknown>;
  /** The read-back of every queue after the drain (ids are in the history as `final-read` events); absent when none was made. */
  finalRead?: FinalReadSummary;
  /** Whether the client re-sent in-doubt orders (with retries off, a partial in-doubt order is the client's to retry). */
  clientRetries?: number;
}

export interface ResultTable {
  columns: string[];
  rows: (string | number)[][];
}

export interface Checker {
  name: string;
  check(run: RunRecord): Promise<CheckResult> | CheckResult;
}

/** Combines verdicts: false beats unknown beats true (an empty list proves nothing: unknown). */
export function mergeValidity(verdicts: readonly Validity[]): Validity {
  if (verdicts.length === 0) return 'unknown';
  if (verdicts.includes(false)) return false;
  if (verdicts.includes('unknown')) return 'unknown';
  return true;
}

export interface CompositeResult {
  valid: Validity;
  results: Record<string, CheckResult>;
}

/**
 * Runs every checker; one that throws yields `unknown` with its error, never `true`. `timed` hears
 * how long each took (the checker benchmark prints it).
 */
export async function runCheckers(
  checkers: readonly Checker[],
  run: RunRecord,
  timed?: (name: string, ms: number) => void,
): Promise<CompositeResult> {
  const results: Record<string, CheckResult> = {};
  for (const checker of checkers) {
    const started = performance.now();
    try {
      results[checker.name] = await checker.check(run);
    } catch (err) {
      results[checker.name] = {
        valid: 'unknown',
        summary: `checker crashed: ${(err as Error).message}`,
        error: (err as Error).stack ?? String(err),
      };
    }
    timed?.(checker.name, performance.now() - started);
  }
  return { valid: mergeValidity(Object.values(results).map((r) => r.valid)), results };
}

/** Exit code for a verdict: 0 valid, 1 invalid, 2 unknown. */
export function exitCodeFor(valid: Validity): 0 | 1 | 2 {
  return valid === true ? 0 : valid === false ? 1 : 2;
}
