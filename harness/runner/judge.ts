import { join } from 'node:path';
import type { HistoryEvent } from '../../instrument/history-event.ts';
import { DEFAULT_CLIENT_RETRIES } from '../../load/client-retry.ts';
import { scenarioChecks, type ScenarioDefinition, type ScenarioOptions } from '../../scenarios/define-scenario.ts';
import { exitCodeFor, mergeValidity, runCheckers, type CheckResult, type RunRecord, type Validity } from '../checkers/checker.ts';
import { DeliveryLedger } from '../checkers/delivery-ledger.ts';
import { loadCheck } from '../checkers/load-check.ts';
import { DEFAULT_RECOVERY_BOUND_SECONDS, recoveryCheck } from '../checkers/recovery.ts';
import { checkersFor } from '../checkers/registry.ts';
import type { FinalReadSummary } from '../env/final-read.ts';
import { historyIndex } from '../history/history-index.ts';
import { malformedHistoryCheck, readRunHistory } from '../history/read-history.ts';
import type { StartedTarget, Target, TargetEffects } from '../target/target.ts';
import type { ClientLoadSummary } from './client-load.ts';
import { faultCheck } from './fault-check.ts';
import { readBrokerSamples } from './broker-sampler.ts';
import { quorumLeadersCheck } from '../checkers/quorum-leaders.ts';
import type { AppliedFault } from './fault-schedule.ts';

/** Everything a verdict is made of: the same whether the run just ended or is judged again from disk. */
export interface JudgeRequest {
  runDir: string;
  target: Target;
  scenario: ScenarioDefinition;
  options: ScenarioOptions;
  /** The target's resolved settings plus its flaws (results.json's `system`). */
  settings: Record<string, unknown>;
  events: readonly HistoryEvent[];
  ledger: DeliveryLedger;
  malformedLines: number;
  effects?: TargetEffects;
  processed?: readonly string[];
  broker?: Record<string, unknown>;
  finalRead?: FinalReadSummary;
  /** Present when the scenario scheduled faults: what they did. */
  appliedFaults?: readonly AppliedFault[];
  load?: ClientLoadSummary;
  /** Hears how long each stage of the judging took (`check:<name>` per checker): the checker benchmark prints it. */
  timed?: (stage: string, ms: number) => void;
}

export interface Verdict {
  valid: Validity;
  exitCode: 0 | 1 | 2;
  checks: Record<string, CheckResult>;
}

/**
 * The target's own records, read after the final read: its effects and (a black box) what it
 * processed. One that cannot be read is left out, and the checks that need it say UNKNOWN.
 */
export async function readTargetRecords(
  started: StartedTarget,
  log: (m: string) => void,
): Promise<{ effects?: TargetEffects; processed?: readonly string[] }> {
  const out: { effects?: TargetEffects; processed?: readonly string[] } = {};
  if (started.readEffects) {
    try {
      out.effects = await started.readEffects();
    } catch (err) {
      log(`could not read the target's effects: ${(err as Error).message}`);
    }
  }
  if (started.readProcessed) {
    try {
      out.processed = await started.readProcessed();
    } catch (err) {
      log(`could not read what the target processed: ${(err as Error).message}`);
    }
  }
  return out;
}

/**
 * The checks: the target's baseline and the scenario's own over the history and the target's
 * records, plus what only the run itself can say (the faults happened, the load was offered, the
 * target recovered, every history line could be read). False beats unknown beats true.
 */
export async function judge(request: JudgeRequest): Promise<Verdict> {
  const { scenario, options, target } = request;
  const record: RunRecord = {
    runDir: request.runDir,
    target: target.name,
    topology: target.topology,
    ...(request.effects ? { effects: request.effects } : {}),
    ...(request.processed ? { processed: request.processed } : {}),
    events: request.events,
    ledger: request.ledger,
    system: { ...request.settings },
    clientRetries: options.clientRetries ?? DEFAULT_CLIENT_RETRIES,
    ...(request.broker ? { broker: request.broker } : {}),
    ...(request.finalRead ? { finalRead: request.finalRead } : {}),
  };
  const timed = request.timed;
  const verdict = await runCheckers(checkersFor(scenarioChecks(scenario, options, target.baselineChecks)), record, (name, ms) =>
    timed?.(`check:${name}`, ms),
  );
  const checks = verdict.results;
  if (request.appliedFaults) {
    checks['faults'] = faultCheck([...request.appliedFaults]);
    const started = performance.now();
    checks['recovery'] = recoveryCheck(request.events, {
      targetRate: options.rate,
      boundSeconds: scenario.recoveryBound ?? DEFAULT_RECOVERY_BOUND_SECONDS,
    });
    timed?.('check:recovery', performance.now() - started);
  }
  // A cluster run follows its quorum queues' leaders through the broker timeline it kept.
  if (options.cluster !== undefined) checks['quorum-leaders'] = quorumLeadersCheck(readBrokerSamples(request.runDir));
  checks['load'] = loadCheck(request.load);
  const history = malformedHistoryCheck(request.malformedLines);
  if (history) checks['history'] = history;
  return verdictOf(checks);
}

/**
 * A finished run judged from its history directory: read once (every file, merged in time order),
 * indexed once, the ledger built, then `judge`. What `npm run check` does once it has loaded the
 * stored run, and what the checker benchmark measures.
 */
export async function judgeRunHistory(
  request: Omit<JudgeRequest, 'events' | 'ledger' | 'malformedLines'>,
): Promise<Verdict & { events: number }> {
  let lap = performance.now();
  const stage = (name: string) => {
    const now = performance.now();
    request.timed?.(name, now - lap);
    lap = now;
  };
  const { events, malformedLines } = readRunHistory(join(request.runDir, 'history'));
  stage('read');
  historyIndex(events);
  stage('index');
  const ledger = new DeliveryLedger(request.target.topology);
  ledger.ingest(events);
  stage('ledger');
  const verdict = await judge({ ...request, events, ledger, malformedLines });
  return { ...verdict, events: events.length };
}

export function verdictOf(checks: Record<string, CheckResult>): Verdict {
  const valid = mergeValidity(Object.values(checks).map((c) => c.valid));
  return { valid, exitCode: exitCodeFor(valid), checks };
}
