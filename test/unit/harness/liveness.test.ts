import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../harness/checkers/checker.ts';
import { DeliveryLedger } from '../../../harness/checkers/delivery-ledger.ts';
import { livenessChecker } from '../../../harness/checkers/liveness.ts';
import { zeroLossChecker } from '../../../harness/checkers/zero-loss.ts';
import { HistoryBuilder } from '../../support/history-builder.ts';

type Queue = { name: string; ready: number; unacked: number; consumers: number };

function record(history: HistoryBuilder, queues?: Queue[]): RunRecord {
  const ledger = new DeliveryLedger();
  ledger.ingest(history.events);
  return { runDir: '/x', dataDir: '/x', events: history.events, ledger, ...(queues ? { broker: { queues } } : {}) };
}

const emptyQueues: Queue[] = ['order.created', 'inventory.update', 'payment.process', 'order.status', 'notification.send'].map((name) => ({ name, ready: 0, unacked: 0, consumers: 2 }));

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

  it('calls unfinished orders whose messages the broker still holds stuck, naming the queue and why', async () => {
    const queues = emptyQueues.map((q) => (q.name === 'payment.process' ? { ...q, ready: 1, consumers: 0 } : q));
    const result = await livenessChecker().check(record(stuckAfterHandling(), queues));
    expect(result.valid).toBe(false);
    expect(result.summary).toBe('stuck: 1 orders unfinished while the broker still holds 1 of their messages (payment.process: 1 ready with no consumer)');
  });

  it('is unknown when orders are unfinished and the broker was not asked', async () => {
    expect((await livenessChecker().check(record(stuckAfterHandling()))).valid).toBe('unknown');
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
    expect((result.unnoticedDeadConnections as { connection: string }[]).map((u) => u.connection).sort()).toEqual(['api-1 publish', 'payments-1 publish']);
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

describe('zero-loss with the broker figures', () => {
  it('does not call an order lost while the broker still holds its message', async () => {
    const queues = emptyQueues.map((q) => (q.name === 'payment.process' ? { ...q, ready: 1, consumers: 0 } : q));
    const result = await zeroLossChecker().check(record(stuckAfterHandling(), queues));
    expect(result.valid).toBe(true);
    expect(result.lostOrders).toBe(0);
    expect(result.summary).toContain('1 orders not finished, 1 messages still held by the broker (stuck, see liveness)');
  });

  it('still calls it lost when the broker holds nothing', async () => {
    const result = await zeroLossChecker().check(record(stuckAfterHandling(), emptyQueues));
    expect(result.valid).toBe(false);
    expect(result.lostOrders).toBe(1);
  });

  it('splits missing messages into stuck (held by the broker) and lost', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    for (const id of ['o2', 'o3']) h.order(id, 'ok').publish('api-1', `order.created:${id}`, id, 'orders', 'order.created', 'ok');
    const queues = emptyQueues.map((q) => (q.name === 'order.created' ? { ...q, ready: 1 } : q));
    const result = await zeroLossChecker().check(record(h, queues));
    expect(result.valid).toBe(false);
    const stage = (result.stages as { queue: string; missingCount: number; lostCount: number; stuckCount: number }[]).find((s) => s.queue === 'order.created')!;
    expect(stage).toMatchObject({ missingCount: 2, stuckCount: 1, lostCount: 1 });
  });
});
