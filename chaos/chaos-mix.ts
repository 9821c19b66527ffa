import type { Fault, ScheduledFault } from './fault.ts';
import { apiCrash } from './faults/api-crash.ts';
import { bandwidth } from './faults/bandwidth.ts';
import { blackhole } from './faults/blackhole.ts';
import { brokerKill } from './faults/broker-kill.ts';
import { brokerRestart } from './faults/broker-restart.ts';
import { connectionCut } from './faults/connection-cut.ts';
import { consumerCrash } from './faults/consumer-crash.ts';
import { consumerFreeze } from './faults/consumer-freeze.ts';
import { diskAlarm } from './faults/disk-alarm.ts';
import { latency } from './faults/latency.ts';
import { leaderKill } from './faults/leader-kill.ts';
import { memoryAlarm } from './faults/memory-alarm.ts';
import { nodeLoss } from './faults/node-loss.ts';
import { partitionMinority } from './faults/partition.ts';
import { resetPeer } from './faults/reset-peer.ts';
import { slicer } from './faults/slicer.ts';
import type { ProxySide } from './faults/proxy-sides.ts';

type Random = () => number;

/** Every fault of the catalogue, each drawing its own settings from the seeded randomness. */
const CATALOGUE: readonly ((random: Random) => Fault)[] = [
  (r) => latency({ side: side(r), latencyMs: between(r, 50, 300), jitterMs: between(r, 0, 50), stream: 'both' }),
  (r) => bandwidth({ side: side(r), rateKBps: between(r, 20, 200) }),
  (r) => blackhole({ side: side(r) }),
  (r) => resetPeer({ side: side(r), afterMs: between(r, 0, 500) }),
  (r) => connectionCut({ side: side(r), dropInFlightMs: between(r, 0, 1_000) }),
  (r) => slicer({ side: side(r) }),
  // Victims are drawn when the fault starts, among the target's consumers (whatever their role names).
  () => consumerCrash(),
  () => consumerFreeze(),
  () => apiCrash(),
  () => memoryAlarm(),
  () => diskAlarm(),
  () => brokerRestart(),
  () => brokerKill(),
];

/** Drawn from as well when the run owns a cluster: the victims are drawn when each fault starts. */
const CLUSTER_CATALOGUE: readonly ((random: Random) => Fault)[] = [
  () => nodeLoss({ how: 'kill' }),
  () => nodeLoss({ how: 'stop' }),
  (r) => partitionMinority({ oneWay: r() < 0.25 }),
  () => leaderKill(),
];

export interface ChaosMixOptions {
  /** Seconds of load the schedule must fit in. */
  durationSeconds: number;
  /** The run owns a cluster: cluster faults join the catalogue. */
  cluster?: boolean;
  /** Quiet seconds before the first fault and after the last heal. */
  marginSeconds?: number;
  minFaultSeconds?: number;
  maxFaultSeconds?: number;
  minGapSeconds?: number;
  maxGapSeconds?: number;
}

/**
 * A random fault schedule drawn entirely from `random` (seed it: the same seed gives the same
 * schedule, so a failing mix can be replayed). Faults follow each other with quiet gaps between
 * them, so every failure can be pinned on one fault.
 */
export function chaosMixSchedule(random: Random, options: ChaosMixOptions): ScheduledFault[] {
  const margin = options.marginSeconds ?? 3;
  const [minFault, maxFault] = [options.minFaultSeconds ?? 3, options.maxFaultSeconds ?? 8];
  const [minGap, maxGap] = [options.minGapSeconds ?? 3, options.maxGapSeconds ?? 6];
  const catalogue = options.cluster ? [...CATALOGUE, ...CLUSTER_CATALOGUE] : CATALOGUE;
  const schedule: ScheduledFault[] = [];
  let at = margin;
  for (;;) {
    const duration = between(random, minFault, maxFault);
    if (at + duration > options.durationSeconds - margin) break;
    const make = catalogue[Math.floor(random() * catalogue.length)]!;
    schedule.push({ at, duration, fault: make(random) });
    at += duration + between(random, minGap, maxGap);
  }
  return schedule;
}

function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function side(random: Random): ProxySide {
  return pick<ProxySide>(random, ['producer', 'consumer', 'both']);
}
