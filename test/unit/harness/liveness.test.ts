import { describe, expect, it } from 'vitest';
import { REFERENCE_TOPOLOGY } from '../../../system/target/declared-topology.ts';
import type { RunRecord } from '../../../harness/checkers/checker.ts';
import { DeliveryLedger } from '../../../harness/checkers/delivery-ledger.ts';
import { livenessChecker } from '../../../harness/checkers/liveness.ts';
import { zeroLossChecker } from '../../../harness/checkers/zero-loss.ts';
import { HistoryBuilder } from '../../support/history-builder.ts';

type Queue = { name: string; ready: number; unacked: number; consumers: number };

/** `read`: whether the final read of the queues completed; broker figures may be given too, and must never excuse a loss. */
function record(history: HistoryBuilder, read: boolean | Queue[] = true, queues?: Queue[]): RunRecord {
  const ledger = new DeliveryLedger(REFERENCE_TOPOLOGY);
  ledger.ingest(history.events);
  const figures = Array.isArray(read) ? read : queues;
  const complete = read !== false;
  return {
    runDir: '/x',
    target: 'reference',
    topology: REFERENCE_TOPOLOGY,
    events: history.events,
    ledger,
    finalRead: { complete, messages: 0, queues: [] },
    ...(figures ? { broker: { queues: figures } } : {}),
  };
}

const emptyQueues: Queue[] = ['order.created', 'inventory.update', 'payment.process', 'order.status', 'notification.send'].map((name) => ({
  name,
  ready: 0,
  unacked: 0,
  consumers: 2,
}));

/** o2's payment was handled, its follow-ups never sent, and the broker requeued it: nobody consumes any more. */
function stuckAfterHandling(): HistoryBuilder {
  const h = new HistoryBuilder().completeOrder('o1').order('o2', 'ok');
  h.publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'ok');
  h.handled('orders-1', 'order.created:o2', 'o2', 'order.created');
  h.handled('inventory-1', 'order.created:o2', 'o2', 'inventory.update');
  h.publish('orders-1', 'payment.process:o2', 'o2', 'payments', 'process', 'ok');
  h.handled('payments-1', 'payment.process:o2', 'o2', 'payment.process');
  return h;
}

describe('liveness', () => {
  it('passes when nothing is unfinished', async () => {
    const result = await livenessChecker().check(record(new HistoryBuilder().completeOrder('o1'), emptyQueues));
    expect(result.valid).toBe(true);
  });

  it('calls an unfinished order stuck when a message of it was read back by id, naming the queue', async () => {
    const h = stuckAfterHandling().finalRead('payment.process:o2', 'payment.process', 'o2');
    const result = await livenessChecker().check(record(h));
    expect(result.valid).toBe(false);
    expect(result.stuckOrderIds).toEqual(['o2']);
    expect(result.summary).toMatch(/^stuck: 1 accepted orders unfinished and 0 confirmed messages never consumed/);
  });

  it('names a confirmed message never consumed and read back from its queue as stuck', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.order('o2', 'ok').publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'ok');
    h.handled('orders-1', 'order.created:o2', 'o2', 'order.created');
    h.finalRead('order.created:o2', 'inventory.update', 'o2');
    const result = await livenessChecker().check(record(h));
    expect(result.valid).toBe(false);
    expect(result.stuck).toEqual([{ queue: 'inventory.update', stuck: 1, ids: ['order.created:o2'] }]);
  });

  it('does not call anything stuck because the broker figures show messages held (counts never stand for ids)', async () => {
    const queues = emptyQueues.map((q) => (q.name === 'payment.process' ? { ...q, ready: 1, consumers: 0 } : q));
    const result = await livenessChecker().check(record(stuckAfterHandling(), queues));
    expect(result.valid).toBe(true);
    // ...while zero-loss calls the order what it is: lost (nothing of it was read back).
    expect((await zeroLossChecker().check(record(stuckAfterHandling(), queues))).lostOrderIds).toEqual(['o2']);
  });

  it('is unknown when orders are unfinished and the final read did not complete', async () => {
    expect((await livenessChecker().check(record(stuckAfterHandling(), false))).valid).toBe('unknown');
  });

  it('flags connections that never noticed a long black hole, and accepts those that did', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    const at = (t: number, proc: string, record: Parameters<HistoryBuilder['add']>[1]) => h.events.push({ t, proc, ...record } as never);
    at(100, 'api-1', { kind: 'lifecycle', event: 'connected', detail: 'api-1 publish' });
    at(100, 'payments-1', { kind: 'lifecycle', event: 'connected', detail: 'payments-1 consume' });
    at(100, 'payments-1', { kind: 'lifecycle', event: 'connected', detail: 'payments-1 publish' });
    at(10_000, 'harness', { kind: 'fault', name: 'blackhole', phase: 'start' });
    at(21_000, 'payments-1', { kind: 'lifecycle', event: 'disconnected', detail: 'payments-1 consume: Heartbeat timeout' });
    at(40_000, 'harness', { kind: 'fault', name: 'blackhole', phase: 'stop' });
    at(40_010, 'api-1', { kind: 'lifecycle', event: 'disconnected', detail: 'api-1 publish: Unexpected close' });
    h.events.sort((a, b) => a.t - b.t);
    const checker = livenessChecker({ blackholes: [{ fault: 'blackhole', connections: 'both' }], detectWithinMs: 20_000 });
    const result = await checker.check(record(h, emptyQueues));
    expect(result.valid).toBe(false);
    expect((result.unnoticedDeadConnections as { connection: string }[]).map((u) => u.connection).sort()).toEqual([
      'api-1 publish',
      'payments-1 publish',
    ]);
    expect(result.summary).toMatch(/^stuck on dead connections: 2 connections never noticed the blackhole/);
    const consumeOnly = livenessChecker({ blackholes: [{ fault: 'blackhole', connections: 'consume' }], detectWithinMs: 20_000 });
    expect((await consumeOnly.check(record(h, emptyQueues))).valid).toBe(true);
  });

  it('does not judge a black hole too short to be noticed', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.events.push({ t: 100, proc: 'api-1', kind: 'lifecycle', event: 'connected', detail: 'api-1 publish' });
    h.events.push({ t: 5_000, proc: 'harness', kind: 'fault', name: 'blackhole', phase: 'start' });
    h.events.push({ t: 9_000, proc: 'harness', kind: 'fault', name: 'blackhole', phase: 'stop' });
    const result = await livenessChecker({ blackholes: [{ fault: 'blackhole', connections: 'both' }] }).check(record(h, emptyQueues));
    expect(result.valid).toBe(true);
  });
});
