import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ScenarioOptions } from '../../scenarios/define-scenario.ts';
import type { CheckResult, Validity } from '../checkers/checker.ts';
import type { FinalReadSummary } from '../env/final-read.ts';
import type { ClientLoadSummary } from './client-load.ts';
import type { DrainResult } from './drain.ts';
import type { AppliedFault } from './fault-schedule.ts';
import type { MachineInfo } from './machine.ts';

export interface PhaseRecord {
  name: string;
  seconds: number;
}

/** results.json: what a run did and the verdict, enough for `npm run check` to judge it again. */
export interface RunResults {
  scenario: string;
  proves: string;
  /** The target's name, and for a black-box target its directory (as given to --target): what `npm run check` loads again. */
  target: { name: string; ref: string };
  runDir: string;
  startedAt: string;
  finishedAt: string;
  /** Where it ran (absent in runs stored before it was recorded). */
  machine?: MachineInfo;
  options: ScenarioOptions;
  /** The target's resolved settings plus the flaws planted (for the reference: its SystemSpec). */
  system: Record<string, unknown>;
  faults: { name: string; at: number; duration: number; description: string }[];
  /** What each fault actually did and when (seconds since the load began); judged by the `faults` check. */
  appliedFaults?: AppliedFault[];
  phases: PhaseRecord[];
  /** Wall-clock ms when the load and the fault schedule began (time 0 of appliedFaults and of the report's timelines). */
  loadStartedAtMs?: number;
  /** The cluster the run owned (`--cluster`): its nodes, how long it took to form, how it handles partitions. */
  cluster?: { nodes: string[]; formationSeconds: number; partitionHandling: string };
  /** The rig's steps within setup (broker and proxy side by side), then its teardown (after results.json is written). */
  rigSteps?: PhaseRecord[];
  load?: ClientLoadSummary;
  /** Whether the target reported healthy again after the faults healed, and how long that took. */
  recovery?: { recovered: boolean; seconds: number };
  /** Seconds of load after the last fault healed. */
  loadAfterHealSeconds?: number;
  /** The read-back of every queue after the drain, with the target's consumers stopped. */
  finalRead?: FinalReadSummary;
  drain?: DrainResult;
  /** The drain after the API stopped, before the workers stop for the final read. */
  settle?: DrainResult;
  valid: Validity;
  exitCode: 0 | 1 | 2;
  checks: Record<string, CheckResult>;
  /** What the broker still held per queue when the run was judged. */
  brokerQueues?: { name: string; ready: number; unacked: number; consumers: number }[];
  interrupted?: string;
  error?: string;
  endpoints?: Record<string, string>;
}

/** A black-box target's own list of what it processed, kept so that a stored run can be judged again. */
export const PROCESSED_FILE = 'processed.json';
export const BROKER_FIGURES_FILE = 'broker-figures.json';

/** results.json is shared and archived by CI: secrets in URLs (the broker password) are redacted. */
export function writeResults(runDir: string, results: RunResults): void {
  const endpoints = results.endpoints
    ? Object.fromEntries(Object.entries(results.endpoints).map(([k, v]) => [k, redactUrl(v)]))
    : undefined;
  writeFileSync(join(runDir, 'results.json'), JSON.stringify({ ...results, ...(endpoints ? { endpoints } : {}) }, null, 2) + '\n');
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
