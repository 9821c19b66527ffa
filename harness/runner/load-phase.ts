import { join } from 'node:path';
import type { FaultEnv, ScheduledFault } from '../../chaos/fault.ts';
import type { HistoryEvent } from '../../instrument/history-event.ts';
import type { HistoryWriter } from '../../instrument/history-writer.ts';
import type { ScenarioDefinition, ScenarioOptions } from '../../scenarios/define-scenario.ts';
import { DeliveryLedger } from '../checkers/delivery-ledger.ts';
import { recoveryCheck } from '../checkers/recovery.ts';
import { BrokerInspector, type ChannelState } from '../env/broker-inspector.ts';
import { finalRead, type FinalReadSummary } from '../env/final-read.ts';
import { HistoryTail } from '../history/read-history.ts';
import type { StartedTarget, Target } from '../target/target.ts';
import { startClientLoad, type ClientLoadSummary } from './client-load.ts';
import { BROKER_TIMELINE_FILE, startBrokerSampler } from './broker-sampler.ts';
import { drain, type DrainResult } from './drain.ts';
import type { FaultSchedule } from './fault-schedule.ts';
import { startMalformedInjector } from './malformed-injector.ts';
import { malformedQueues } from './malformed-messages.ts';
import { acceptedOrderIds, drainProcessed } from './processed-drain.ts';
import type { Rig } from './rig.ts';
import type { RunClock } from './run-clock.ts';

/** A healed system reconnects within a few seconds (backoff caps at 2 s); one that has not after this will not. */
export const RECOVERY_TIMEOUT_SECONDS = 30;
/** After the API stopped, how long the workers may take to consume what it published last. */
const SETTLE_TIMEOUT_SECONDS = 10;
/**
 * The settle gives up once nothing has moved for this long. Shorter than the drain's stall bound:
 * by now the faults are healed and every consumer has been connected through the drain, so what
 * the API published last is consumed within a second; what the drain found missing stays missing,
 * and waiting the drain's 10 s again would only repeat its answer.
 */
const SETTLE_STALL_MS = 3_000;
const RECOVERY_POLL_MS = 250;

export interface LoadPhaseRequest {
  rig: Rig;
  target: Target;
  scenario: ScenarioDefinition;
  options: ScenarioOptions;
  schedule: readonly ScheduledFault[];
  faults: FaultSchedule;
  harnessHistory: HistoryWriter;
  /** Load may go on this long at most (faults whose heal overran, a slow recovery). */
  maxLoadSeconds: number;
  afterHealSeconds: number;
  recoveryBoundSeconds: number;
  drainTimeoutSeconds: number;
  clock: RunClock;
}

/** What the load phase leaves for the judge (it also writes its records into `records` as it goes). */
export interface LoadPhaseRecords {
  /** Wall-clock ms when the load and the fault schedule began: time 0 of the report's timelines. */
  loadStartedAtMs?: number;
  load?: ClientLoadSummary;
  loadAfterHealSeconds?: number;
  recovery?: { recovered: boolean; seconds: number };
  drain?: DrainResult;
  settle?: DrainResult;
  finalRead?: FinalReadSummary;
}

export interface LoadPhaseOutcome {
  events: HistoryEvent[];
  ledger: DeliveryLedger;
  tail: HistoryTail;
  channelSamples: ChannelState[];
  inspector: BrokerInspector;
  /** Reads what the histories gained since the last call into `events` and `ledger`. */
  readHistory(): void;
}

/**
 * load + faults -> heal -> recover -> drain -> final read. Records land in `records` as soon as
 * they exist, so an interrupted run still stores what it got to.
 */
export async function runLoadPhase(request: LoadPhaseRequest, records: LoadPhaseRecords): Promise<LoadPhaseOutcome> {
  const { rig, target, scenario, options, schedule, faults, clock } = request;
  const broker = rig.broker!;
  const started = rig.started!;
  const processes = rig.processes!;
  const runDir = rig.request.runDir;
  // A cluster is read through whichever node answers: the view must outlive any one node's death.
  const brokerNodes = rig.cluster?.nodes ?? [broker];
  const inspector = new BrokerInspector(
    brokerNodes.map((n) => n.managementUrl),
    broker.user,
    broker.password,
  );
  const tail = new HistoryTail(join(runDir, 'history'));
  const ledger = new DeliveryLedger(target.topology);
  // Every event read, kept for the checkers that replay the whole history (acks, prefetch, dead letters).
  const events: HistoryEvent[] = [];
  const readHistory = () => {
    const fresh = tail.readNew();
    for (const e of fresh) events.push(e);
    ledger.ingest(fresh);
  };
  const channelSamples: ChannelState[] = [];
  const outcome: LoadPhaseOutcome = { events, ledger, tail, channelSamples, inspector, readHistory };

  clock.phase('load');
  const load = startClientLoad(
    {
      apiUrl: started.apiUrl,
      workload: target.workload,
      rate: options.rate,
      durationSeconds: request.maxLoadSeconds,
      seed: options.seed,
      historyFile: join(runDir, 'history', 'client.jsonl'),
      clientRetries: options.clientRetries,
      ...(scenario.workload?.mix ? { mix: scenario.workload.mix } : {}),
    },
    clock.signal,
  );
  const injector =
    scenario.workload?.inject === 'malformed'
      ? startMalformedInjector(
          {
            amqpUrl: broker.amqpUrl(),
            queues: malformedQueues(target.topology),
            historyFile: join(runDir, 'history', 'injector.jsonl'),
            durationSeconds: options.duration,
            log: clock.log,
          },
          clock.signal,
        )
      : undefined;
  faults.begin();
  records.loadStartedAtMs = Date.now();
  const loadStarted = performance.now();
  let faultsHealedAt: number | null = schedule.length === 0 ? loadStarted : null;
  void faults.finished().then(() => (faultsHealedAt ??= performance.now()));
  let loadStopping = false;
  /**
   * Ends the load once its duration is over, every fault has healed, `afterHeal` seconds of load
   * followed the last heal, and the system accepts its full rate again (or the recovery bound ran out).
   */
  const maybeStopLoad = () => {
    if (loadStopping || faultsHealedAt === null || schedule.length === 0) return;
    const now = performance.now();
    if ((now - loadStarted) / 1000 < options.duration) return;
    const sinceHeal = (now - faultsHealedAt) / 1000;
    if (sinceHeal < request.afterHealSeconds) return;
    const recovered = recoveryCheck(events, { targetRate: options.rate, boundSeconds: request.recoveryBoundSeconds }).valid === true;
    if (recovered || sinceHeal >= request.recoveryBoundSeconds + 2) {
      loadStopping = true;
      load.stop();
    }
  };
  const metrics = rig.harnessMetrics;
  metrics?.trackLoad(() => load.stats());
  // The broker's own figures (queues, per-channel prefetch and unacked), sampled while the run goes on.
  const sampler = startBrokerSampler(
    inspector,
    () => brokerNodes.some((n) => n.running),
    join(runDir, BROKER_TIMELINE_FILE),
    channelSamples,
    rig.cluster !== null,
  );
  const ticker = setInterval(() => {
    readHistory();
    maybeStopLoad();
    metrics?.syncFaults(faults.active);
    const stats = load.stats();
    clock.status.update({
      phase: clock.phaseName(),
      elapsedSeconds: clock.elapsed(),
      targetRate: options.rate,
      achievedRate: stats.currentRate,
      accepted: load.accepted(),
      completed: ledger.terminalOrders,
      faults: faults.active,
    });
  }, 1000);
  try {
    records.load = await load.done;
    if (faultsHealedAt !== null && schedule.length > 0) records.loadAfterHealSeconds = round((performance.now() - faultsHealedAt) / 1000);
    await injector?.done;
    clock.throwIfAborted();

    clock.phase('heal');
    await Promise.race([faults.finished(), clock.aborted()]);
    await faults.healAll();
    clock.throwIfAborted();

    clock.phase('recover');
    records.recovery = await waitForRecovery(started, clock.signal);
    if (!records.recovery.recovered)
      clock.log(`the target did not report healthy within ${RECOVERY_TIMEOUT_SECONDS} s of healing; draining anyway`);
    clock.throwIfAborted();

    clock.phase('drain');
    records.drain = await drainTarget(started, events, readHistory, ledger, request.drainTimeoutSeconds, clock.signal);
    clock.throwIfAborted();

    // Jepsen's final read: with the target's consumers stopped, every message still in a queue is read back by id.
    clock.phase('final-read');
    clock.status.update({ phase: 'final-read', elapsedSeconds: clock.elapsed(), faults: [] });
    // The edge first: an API still working through a backlog may publish after the drain; the consumers then get
    // to consume that (a short second drain) before they stop, or its messages would read back as stuck.
    const edge = processes.instancesOf('api');
    await Promise.all(edge.map((p) => p.stop()));
    readHistory();
    records.settle = await drain(readHistory, ledger, SETTLE_TIMEOUT_SECONDS, clock.signal, SETTLE_STALL_MS);
    await Promise.all(processes.processes.filter((p) => !edge.includes(p) && !p.spec.servesReadback).map((p) => p.stop()));
    const listed = await inspector.queues().catch(() => []);
    records.finalRead = await finalRead(
      broker.amqpUrl(),
      queuesToRead(
        target,
        listed.map((q) => q.name),
      ),
      request.harnessHistory,
    );
    if (!records.finalRead.complete) clock.log(`final read incomplete: ${records.finalRead.error}`);
    readHistory();
    // The target's processes have stopped writing: a line still without its newline was torn by a kill.
    const late = tail.finish();
    events.push(...late);
    ledger.ingest(late);
  } finally {
    clearInterval(ticker);
    sampler.stop();
  }
  return outcome;
}

/**
 * A target that reports what it processed (a black box) is drained on that report: every accepted
 * id visible. Otherwise its instrumented history is: every accepted order accounted for and every
 * confirmed message consumed at every queue it was routed to.
 */
async function drainTarget(
  started: StartedTarget,
  events: readonly HistoryEvent[],
  readHistory: () => void,
  ledger: DeliveryLedger,
  timeoutSeconds: number,
  signal: AbortSignal,
): Promise<DrainResult> {
  if (!started.readProcessed) return drain(readHistory, ledger, timeoutSeconds, signal);
  // Accepted ids are read afresh on each poll: a client retry may still be answered 202 during the drain.
  const accepted = () => {
    readHistory();
    return acceptedOrderIds(events);
  };
  return drainProcessed(() => started.readProcessed!(), accepted, timeoutSeconds, signal);
}

/** Every queue of the declared topology (work, retry delay, dead letter) and any other the broker lists. */
export function queuesToRead(target: Pick<Target, 'topology'>, listed: readonly string[]): string[] {
  const { topology } = target;
  const declared = [
    ...topology.workQueues.flatMap((q) => [q, ...topology.retryQueues(q)]),
    ...(topology.deadLetterQueue ? [topology.deadLetterQueue] : []),
  ];
  return [...new Set([...declared, ...listed])];
}

/** After healing, the target must serve again (for the reference: its API connected to the broker). */
async function waitForRecovery(started: StartedTarget, signal: AbortSignal): Promise<{ recovered: boolean; seconds: number }> {
  const t0 = performance.now();
  const seconds = () => Math.round((performance.now() - t0) / 100) / 10;
  while (performance.now() - t0 < RECOVERY_TIMEOUT_SECONDS * 1000 && !signal.aborted) {
    if (await started.healthy()) return { recovered: true, seconds: seconds() };
    await new Promise((resolve) => setTimeout(resolve, RECOVERY_POLL_MS));
  }
  return { recovered: false, seconds: seconds() };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
