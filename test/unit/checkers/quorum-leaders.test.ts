import { describe, expect, it } from 'vitest';
import { quorumLeadersCheck, type QueueLeadership } from '../../../harness/checkers/quorum-leaders.ts';
import type { BrokerSample } from '../../../harness/runner/broker-sampler.ts';

const [A, B, C] = ['rabbit@10.0.0.11', 'rabbit@10.0.0.12', 'rabbit@10.0.0.13'];

/** One sample a second: `leader` of queue q at second k, and the nodes running then. */
function samples(rows: { leader?: string; running: string[]; reachable?: boolean }[]): BrokerSample[] {
  return rows.map((r, k) => ({
    t: 1_000 * k,
    reachable: r.reachable ?? true,
    runningNodes: r.running,
    queues: [
      { name: 'q', ready: 0, unacked: 0, consumers: 1, ...(r.leader ? { leader: r.leader } : {}) },
      { name: 'classic', ready: 0, unacked: 0, consumers: 1 },
    ],
  }));
}

const queue = (result: ReturnType<typeof quorumLeadersCheck>) => (result.queues as QueueLeadership[])[0]!;

describe('quorum leaders check', () => {
  it('follows the leader through a node kill: the move, and the seconds led by a dead node count as none', () => {
    const result = quorumLeadersCheck(
      samples([
        { leader: A, running: [A, B, C] },
        { leader: A, running: [B, C] },
        { leader: A, running: [B, C] },
        { leader: B, running: [B, C] },
        { leader: B, running: [A, B, C] },
      ]),
    );
    expect(result.valid).toBe(true);
    expect(queue(result)).toMatchObject({ queue: 'q', leaders: [A, '-', B], moves: 1, noLeaderSeconds: 2, finalLeader: B });
    expect(result.summary).toMatch(/1 leader moves/);
  });

  it('fails a queue left without a leader at the end', () => {
    const result = quorumLeadersCheck(samples([{ leader: A, running: [A, B, C] }, { running: [A, B, C] }]));
    expect(result.valid).toBe(false);
    expect(result.summary).toMatch(/q had no leader on a running node at the end/);
  });

  it('cannot judge without cluster samples or without quorum queues', () => {
    expect(quorumLeadersCheck([]).valid).toBe('unknown');
    const noCluster = samples([{ leader: A, running: [A] }]).map(({ runningNodes: _, ...s }) => s);
    expect(quorumLeadersCheck(noCluster).valid).toBe('unknown');
    const classicOnly = samples([{ running: [A, B, C] }]).map((s) => ({ ...s, queues: s.queues!.filter((q) => q.name === 'classic') }));
    expect(quorumLeadersCheck(classicOnly).summary).toMatch(/no quorum queue/);
  });

  it('does not stretch a sample over a gap where the broker did not answer', () => {
    const rows = samples([{ leader: A, running: [A, B, C] }, { running: [B, C] }]);
    rows.push({ t: 10_000, reachable: false }, { t: 11_000, reachable: true, runningNodes: [A, B, C], queues: rows[0]!.queues! });
    const q = queue(quorumLeadersCheck(rows));
    // Leaderless from 1 s; the next answer came at 11 s: counted at most 2 s, not 10.
    expect(q.noLeaderSeconds).toBe(2);
  });
});
