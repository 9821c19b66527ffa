import type { QueueLatency } from './deliver-latency.ts';
import type { QueueLoad } from './queue-sampler.ts';

// Which stage held a step back, decided from its figures alone (pure, so it can be tested with
// hand-made numbers): the machine's CPU, one queue's consumers, the load generator, or nothing
// that saturated.

/** A queue whose consumers hold at least this share of their prefetch slots on average is saturated. */
export const SATURATED_SLOTS = 0.9;
/** A growing queue whose consumers used at least this share of their slots at some sample is saturated too. */
export const FULL_SLOTS = 0.98;
/** The machine is CPU-bound above this share of its cores. */
export const SATURATED_CPU = 0.9;
/** A backlog grows when it gains more than this many messages per second, or this share of the target rate. */
export const MIN_GROWTH_PER_SECOND = 2;
export const GROWTH_SHARE_OF_RATE = 0.01;
/** Other work on the machine worth naming, in cores. */
export const NOTABLE_OTHER_CORES = 0.1;
/** The client sent the rate when it achieved this share of it. */
export const ACHIEVED_SHARE = 0.99;

export interface StageEvidence {
  targetRate: number;
  achievedRate: number;
  /** Per queue from the management API; null when it could not be read. */
  queues: readonly QueueLoad[] | null;
  latency: readonly QueueLatency[];
  machineBusyCores: number | null;
  machineCores: number;
  /** Busy cores no process of the bench accounts for: other work on the machine takes them from the system. */
  otherCores?: number | null;
  /** CPU by process kind over the step, cores busy: the heaviest are named. */
  kinds: readonly { kind: string; cores: number }[];
}

export type StageKind = 'cpu' | 'queue' | 'generator' | 'none';

export interface LimitingStage {
  stage: StageKind;
  /** The queue whose consumers limit, for `queue` (and the first to back up, for `cpu`). */
  queue?: string;
  /** One line a person can act on. */
  summary: string;
}

export function limitingStage(e: StageEvidence): LimitingStage {
  const cpuShare = e.machineBusyCores === null ? null : e.machineBusyCores / e.machineCores;
  const others =
    e.otherCores != null && e.otherCores >= NOTABLE_OTHER_CORES
      ? ` (${e.otherCores.toFixed(2)} cores of it other work on the machine)`
      : '';
  const machine =
    cpuShare === null
      ? 'machine CPU unknown'
      : `machine at ${pct(cpuShare)} of ${e.machineCores} core${e.machineCores === 1 ? '' : 's'}${others}`;
  const growth = Math.max(MIN_GROWTH_PER_SECOND, GROWTH_SHARE_OF_RATE * e.targetRate);
  const growing = (q: QueueLoad) => q.backlogGrowthPerSecond > growth;
  // The broker's unacked counts refresh once a second and the load ramps up from zero: a queue that
  // backs up while its consumers hit every slot is saturated even if the mean reads lower.
  const saturated = (q: QueueLoad) =>
    (q.slotUtilisation ?? 0) >= SATURATED_SLOTS || (growing(q) && (q.maxSlotUtilisation ?? 0) >= FULL_SLOTS);
  // Saturated and growing first, then growing, then saturated; within each, fastest growth, then fullest slots.
  const rank = (q: QueueLoad) => 2 * Number(growing(q)) + Number(saturated(q));
  const suspects = (e.queues ?? [])
    .filter((q) => rank(q) > 0)
    .sort(
      (a, b) =>
        rank(b) - rank(a) || b.backlogGrowthPerSecond - a.backlogGrowthPerSecond || (b.slotUtilisation ?? 0) - (a.slotUtilisation ?? 0),
    );
  const worst = suspects[0];

  if (cpuShare !== null && cpuShare >= SATURATED_CPU) {
    const heaviest = e.kinds
      .slice(0, 3)
      .map((k) => `${k.kind} ${k.cores.toFixed(2)}`)
      .join(', ');
    return {
      stage: 'cpu',
      ...(worst ? { queue: worst.queue } : {}),
      summary:
        `CPU-bound: ${machine} (heaviest, in cores: ${heaviest})` +
        (worst ? `; first to back up: ${worst.queue} (${describeQueue(worst, e.latency)})` : '; no queue backed up'),
    };
  }
  if (worst) {
    const why = saturated(worst) ? 'consumers saturated' : 'backlog grows with free consumer slots';
    return { stage: 'queue', queue: worst.queue, summary: `${worst.queue} ${why}: ${describeQueue(worst, e.latency)}; ${machine}` };
  }
  if (e.achievedRate < ACHIEVED_SHARE * e.targetRate) {
    return {
      stage: 'generator',
      summary:
        `generator: the client sent ${e.achievedRate.toFixed(1)}/s of ${e.targetRate}/s while no queue saturated; ${machine}` +
        (e.queues === null ? ' (queue figures unavailable)' : ''),
    };
  }
  const fullest = [...(e.queues ?? [])].sort((a, b) => (b.slotUtilisation ?? 0) - (a.slotUtilisation ?? 0))[0];
  const slowest = [...e.latency].sort((a, b) => b.p99Ms - a.p99Ms)[0];
  return {
    stage: 'none',
    summary:
      `no stage saturates: ${machine}` +
      (fullest?.slotUtilisation != null ? `; fullest consumers ${fullest.queue} at ${pct(fullest.slotUtilisation)} of their slots` : '') +
      (slowest ? `; slowest queue ${slowest.queue} (publish to deliver p99 ${Math.round(slowest.p99Ms)} ms)` : '') +
      (e.queues === null ? ' (queue figures unavailable)' : ''),
  };
}

function describeQueue(q: QueueLoad, latency: readonly QueueLatency[]): string {
  const parts = [
    q.slotUtilisation === null ? 'slots unbounded' : `${pct(q.slotUtilisation)} of ${q.slots} slots used (${q.consumers} consumers)`,
    `backlog ${q.backlogGrowthPerSecond >= 0 ? '+' : ''}${q.backlogGrowthPerSecond.toFixed(1)} msg/s`,
  ];
  const wait = latency.find((l) => l.queue === q.queue);
  if (wait) parts.push(`publish to deliver p99 ${Math.round(wait.p99Ms)} ms`);
  return parts.join(', ');
}

function pct(share: number): string {
  return `${Math.round(share * 100)}%`;
}
