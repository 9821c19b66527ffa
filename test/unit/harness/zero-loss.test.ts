import { describe, expect, it } from 'vitest';
import { REFERENCE_TOPOLOGY } from '../../../system/target/declared-topology.ts';
import { exitCodeFor, mergeValidity, runCheckers, type Checker, type RunRecord } from '../../../harness/checkers/checker.ts';
import { DeliveryLedger } from '../../../harness/checkers/delivery-ledger.ts';
import { zeroLossChecker } from '../../../harness/checkers/zero-loss.ts';
import { HistoryBuilder } from '../../support/history-builder.ts';

/** A run record whose final read of the queues completed (its ids, if any, are `final-read` events in the history). */
function record(history: HistoryBuilder, finalRead: RunRecord['finalRead'] = { complete: true, messages: 0, queues: [] }): RunRecord {
  const ledger = new DeliveryLedger(REFERENCE_TOPOLOGY);
  ledger.ingest(history.events);
  return {
    runDir: '/nonexistent',
    target: 'reference',
    topology: REFERENCE_TOPOLOGY,
    events: history.events,
    ledger,
    ...(finalRead ? { finalRead } : {}),
  };
}

async function check(history: HistoryBuilder, finalRead?: RunRecord['finalRead']) {
  return zeroLossChecker().check(record(history, finalRead));
}

function stage(result: Awaited<ReturnType<typeof check>>, queue: string) {
  return (
    result.stages as {
      queue: string;
      lostCount: number;
      lost: string[];
      duplicated: number;
      recovered: number;
      inDoubt: number;
      unexpectedCount: number;
      unexpected: string[];
    }[]
  ).find((s) => s.queue === queue)!;
}

describe('zero-loss checker', () => {
  it('passes when every accepted order went through every stage', async () => {
    const result = await check(new HistoryBuilder().completeOrder('o1').completeOrder('o2'));
    expect(result.valid).toBe(true);
    expect(result.summary).toContain('all 2 accepted orders accounted for');
    expect(stage(result, 'payment.process')).toMatchObject({ lostCount: 0, duplicated: 0 });
  });

  it('fails on a confirmed message nobody consumed, naming the stage and the order', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.order('o2', 'ok').publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'ok');
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(result.lostOrderIds).toEqual(['o2']);
    expect(stage(result, 'order.created')).toMatchObject({ lostCount: 1, lost: ['order.created:o2'] });
    // The topic binding routes order.created to inventory too: lost there as well.
    expect(stage(result, 'inventory.update').lostCount).toBe(1);
    expect(result.summary).toMatch(/1 of 2 accepted orders lost/);
  });

  it('fails when an order was accepted but never reached a terminal state, even if no stage lost a message', async () => {
    // The payment was handled, but its downstream publishes were never even attempted (auto-ack + crash).
    const h = new HistoryBuilder().order('o1', 'ok');
    h.publish('api-1', 'order.created:o1', 'o1', 'orders', 'order.created', 'ok');
    h.handled('orders-1', 'order.created:o1', 'o1', 'order.created');
    h.handled('inventory-1', 'order.created:o1', 'o1', 'inventory.update');
    h.publish('orders-1', 'payment.process:o1', 'o1', 'payments', 'process', 'ok');
    h.handled('payments-1', 'payment.process:o1', 'o1', 'payment.process');
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(result.lostOrderIds).toEqual(['o1']);
    expect(result.lostMessages).toBe(0);
  });

  it('reports a duplicate delivery but allows it', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.handled('payments-2', 'payment.process:o1', 'o1', 'payment.process', 'payment-charged', false);
    const result = await check(h);
    expect(result.valid).toBe(true);
    expect(stage(result, 'payment.process').duplicated).toBe(1);
  });

  it('counts an in-doubt publish that arrived anyway as recovered, and one that did not as in doubt, both allowed', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    // o2: the API's confirm timed out (info), the client was told 503 "info", yet the message landed.
    h.order('o2', 'info').publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'info');
    h.handled('orders-1', 'order.created:o2', 'o2', 'order.created');
    // o3: the API process died between attempt and result; nothing arrived.
    h.order('o3', 'info').publish('api-1', 'order.created:o3', 'o3', 'orders', 'order.created', 'none');
    const result = await check(h);
    expect(result.valid).toBe(true);
    expect(stage(result, 'order.created')).toMatchObject({ recovered: 1, inDoubt: 1, lostCount: 0 });
    expect(result.orders).toMatchObject({ inDoubt: 2, accepted: 1 });
  });

  it('fails on an unexpected message: consumed, never published', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.handled('payments-1', 'payment.process:ghost', 'ghost', 'payment.process');
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(stage(result, 'payment.process')).toMatchObject({ unexpectedCount: 1, unexpected: ['payment.process:ghost'] });
  });

  it('counts a dead-lettered message as accounted for at the queue it died in when the workload meant it to die', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.order('o2', 'ok', 'poison').publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'ok');
    h.deadLettered('order.created:o2', 'o2', 'order.created');
    h.deadLettered('order.created:o2', 'o2', 'inventory.update');
    const result = await check(h);
    expect(result.valid).toBe(true);
    expect(result.orders).toMatchObject({ deadLettered: 1, lostCount: 0 });
  });

  it('fails when an order meant to be processed ended in the dead-letter queue (the old ledger called it accounted for)', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.order('o2', 'ok', 'normal').publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'ok');
    h.handled('orders-1', 'order.created:o2', 'o2', 'order.created');
    h.deadLettered('order.created:o2', 'o2', 'inventory.update'); // a worker rejected a good order
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(result.wronglyDeadLettered).toEqual(['o2']);
    expect(result.lostOrderIds).toEqual(['o2']);
    expect(result.summary).toMatch(/1 orders meant to be processed were dead-lettered \(o2\)/);
  });

  it('calls a missing message stuck only when its own id was read back, never because the queue held something else', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.order('o2', 'ok').publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'ok');
    // The final read found an unrelated copy (o1's duplicate) in order.created, not o2's message.
    h.finalRead('order.created:o1', 'order.created', 'o1');
    const result = await check(h, { complete: true, messages: 1, queues: [{ name: 'order.created', messages: 1 }] });
    expect(result.valid).toBe(false);
    expect(result.lostOrderIds).toEqual(['o2']);
    expect(stage(result, 'order.created')).toMatchObject({ lostCount: 1, lost: ['order.created:o2'] });
  });

  it(
    'calls a missing message stuck, not lost, when its own id was read back from its queue, ' +
      'a retry queue or unaudited from the dead-letter queue',
    async () => {
      const h = new HistoryBuilder().completeOrder('o1');
      for (const id of ['o2', 'o3', 'o4']) h.order(id, 'ok').publish('api-1', `order.created:${id}`, id, 'orders', 'order.created', 'ok');
      for (const id of ['o2', 'o3', 'o4']) h.handled('orders-1', `order.created:${id}`, id, 'order.created');
      h.finalRead('order.created:o2', 'inventory.update', 'o2');
      h.finalRead('order.created:o3', 'inventory.update.retry.2', 'o3');
      h.finalRead('order.created:o4', 'dead_letter_queue', 'o4', 'inventory.update');
      const result = await check(h);
      expect(result.valid).toBe(true);
      expect(stage(result, 'inventory.update')).toMatchObject({ lostCount: 0, stuckCount: 3 });
      expect(result.stuckOrderIds).toEqual(['o2', 'o3', 'o4']);
      expect(result.summary).toMatch(/3 orders and 3 messages stuck in the broker/);
    },
  );

  it('is unknown, not valid nor invalid, about a missing message when the final read did not complete', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.order('o2', 'ok').publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'ok');
    expect((await check(h, { complete: false, messages: 0, queues: [], error: 'connection refused' })).valid).toBe('unknown');
    expect((await check(h, null as never)).valid).toBe('unknown');
  });

  it('gives every stage of the declared topology a row, and is unknown when a stage saw nothing while orders were accepted', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    const withoutAudit = new HistoryBuilder();
    withoutAudit.events.push(...h.events.filter((e) => !('id' in e) || !String(e.id).startsWith('order.audit:')));
    const result = await check(withoutAudit);
    expect(stage(result, 'order.audit')).toMatchObject({ attempted: 0 });
    expect(result.valid).toBe('unknown');
    expect(result.summary).toMatch(/nothing was published to order.audit/);
  });

  it('does not count an order as accounted for because its best-effort audit entry was dead-lettered', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.order('o2', 'ok').publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'ok');
    h.deadLettered('order.audited:o2', 'o2', 'order.audit', 'maxlen');
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(result.lostOrderIds).toEqual(['o2']);
  });

  it('is unknown, not valid, when no order was accepted at all', async () => {
    const result = await check(new HistoryBuilder().order('o1', 'fail'));
    expect(result.valid).toBe('unknown');
  });

  it('treats a failed publish that nobody consumed as neither lost nor in doubt', async () => {
    const h = new HistoryBuilder().completeOrder('o1');
    h.order('o2', 'fail').publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'fail');
    const result = await check(h);
    expect(result.valid).toBe(true);
    expect(stage(result, 'order.created')).toMatchObject({ lostCount: 0, inDoubt: 0 });
  });
});

describe('delivery ledger, incrementally', () => {
  it('reports pending work until the last stage is consumed', () => {
    const full = new HistoryBuilder().completeOrder('o1').events;
    const ledger = new DeliveryLedger(REFERENCE_TOPOLOGY);
    ledger.ingest(full.slice(0, 5));
    expect(ledger.pending().orders).toBe(1);
    ledger.ingest(full.slice(5));
    expect(ledger.pending()).toEqual({ orders: 0, messages: 0 });
    expect(ledger.terminalOrders).toBe(1);
  });
});

describe('checker composition', () => {
  const fixed = (name: string, valid: true | false | 'unknown'): Checker => ({ name, check: () => ({ valid, summary: name }) });

  it('false beats unknown beats true', () => {
    expect(mergeValidity([true, true])).toBe(true);
    expect(mergeValidity([true, 'unknown'])).toBe('unknown');
    expect(mergeValidity(['unknown', false, true])).toBe(false);
    expect(mergeValidity([])).toBe('unknown');
  });

  it('turns a checker that throws into unknown, never true', async () => {
    const throwing: Checker = {
      name: 'broken',
      check: () => {
        throw new Error('boom');
      },
    };
    const composite = await runCheckers([fixed('ok', true), throwing], record(new HistoryBuilder()));
    expect(composite.valid).toBe('unknown');
    expect(composite.results.broken).toMatchObject({ valid: 'unknown' });
    expect(composite.results.broken!.summary).toContain('boom');
    const withFailure = await runCheckers([throwing, fixed('bad', false)], record(new HistoryBuilder()));
    expect(withFailure.valid).toBe(false);
  });

  it('maps verdicts to exit codes 0, 1, 2', () => {
    expect([exitCodeFor(true), exitCodeFor(false), exitCodeFor('unknown')]).toEqual([0, 1, 2]);
  });
});
