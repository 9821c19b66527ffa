import type { BrokerSample } from '../runner/broker-sampler.ts';
import type { CheckResult } from './checker.ts';

/** A sample standing for more than this (the sampler skipped ticks) is not stretched over the gap. */
const MAX_SAMPLE_SPAN_MS = 2_000;

export interface QueueLeadership {
  queue: string;
  /** Every leader in turn (a new entry on each change); `-` for seconds without one. */
  leaders: string[];
  /** How often the leader changed to another node. */
  moves: number;
  /** Seconds seen without a leader on a running node. */
  noLeaderSeconds: number;
  /** The longest such stretch. */
  longestNoLeaderSeconds: number;
  /** The leader in the last sample, when it was on a running node. */
  finalLeader?: string;
}

/**
 * Quorum queues in a cluster, from the run's broker timeline (one management API read a second,
 * through whichever node answered): who led each queue over time, how often the leadership moved,
 * and how long each queue had no leader on a running node (a leader on a node the others see
 * down is none). Valid when every quorum queue had a leader on a running node in the last
 * sample: a queue left leaderless after the faults healed cannot serve. Unknown when the timeline
 * holds no cluster sample or no quorum queue (classic queues have no leader to follow).
 */
export function quorumLeadersCheck(samples: readonly BrokerSample[]): CheckResult {
  const seen = samples.filter((s) => s.reachable && s.runningNodes && s.queues);
  const queueNames = [...new Set(seen.flatMap((s) => s.queues!.filter((q) => q.leader !== undefined).map((q) => q.name)))].sort();
  const table = {
    columns: ['queue', 'leaders in turn', 'moves', 'without a leader s', 'longest s', 'leader at the end'],
    rows: [] as (string | number)[][],
  };
  if (seen.length === 0) return { valid: 'unknown', summary: 'no cluster sample in the broker timeline: leaders not followed', table };
  if (queueNames.length === 0)
    return { valid: 'unknown', summary: 'no quorum queue in the cluster (classic queues have no leader to follow)', table };

  const queues: QueueLeadership[] = queueNames.map((queue) => {
    const leadership: QueueLeadership = { queue, leaders: [], moves: 0, noLeaderSeconds: 0, longestNoLeaderSeconds: 0 };
    let stretch = 0;
    let lastNode: string | undefined;
    for (const [k, s] of seen.entries()) {
      const leader = s.queues!.find((q) => q.name === queue)?.leader;
      const led = leader !== undefined && s.runningNodes!.includes(leader) ? leader : undefined;
      const next = seen[k + 1];
      const span = next ? Math.min(next.t - s.t, MAX_SAMPLE_SPAN_MS) / 1_000 : 0;
      const label = led ?? '-';
      if (leadership.leaders[leadership.leaders.length - 1] !== label) leadership.leaders.push(label);
      if (led === undefined) {
        leadership.noLeaderSeconds += span;
        stretch += span;
        leadership.longestNoLeaderSeconds = Math.max(leadership.longestNoLeaderSeconds, stretch);
      } else {
        if (lastNode !== undefined && led !== lastNode) leadership.moves++;
        lastNode = led;
        stretch = 0;
      }
      if (!next && led !== undefined) leadership.finalLeader = led;
    }
    leadership.noLeaderSeconds = round(leadership.noLeaderSeconds);
    leadership.longestNoLeaderSeconds = round(leadership.longestNoLeaderSeconds);
    return leadership;
  });
  table.rows = queues.map((q) => [
    q.queue,
    q.leaders.join(' > '),
    q.moves,
    q.noLeaderSeconds,
    q.longestNoLeaderSeconds,
    q.finalLeader ?? '-',
  ]);
  const details = { queues, samples: seen.length, table };
  const leaderless = queues.filter((q) => q.finalLeader === undefined);
  if (leaderless.length)
    return {
      valid: false,
      summary: `${leaderless.map((q) => q.queue).join(', ')} had no leader on a running node at the end of the run`,
      ...details,
    };
  const moves = queues.reduce((n, q) => n + q.moves, 0);
  const worst = queues.reduce((a, b) => (b.longestNoLeaderSeconds > a.longestNoLeaderSeconds ? b : a));
  return {
    valid: true,
    summary:
      `every quorum queue (${queues.length}) ended with a leader; ${moves} leader moves in all; ` +
      `longest without a leader: ${worst.longestNoLeaderSeconds} s (${worst.queue})`,
    ...details,
  };
}

const round = (n: number): number => Math.round(n * 10) / 10;
