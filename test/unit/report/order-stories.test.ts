import { describe, expect, it } from 'vitest';
import { flaggedOrders, idIndex, inDoubtOrders, orderStories } from '../../../harness/report/order-stories.ts';
import { HistoryBuilder } from '../../support/history-builder.ts';

function history() {
  return new HistoryBuilder()
    .order('o1', 'ok')
    .publish('api-1', 'order.created:o1', 'o1', 'orders', 'order.created', 'ok')
    .add('orders-1', {
      kind: 'deliver',
      id: 'order.created:o1',
      queue: 'order.created',
      consumer: 'orders-1',
      deliveryTag: 1,
      redelivered: false,
      channel: 1,
    })
    .add('orders-1', { kind: 'ack', id: 'order.created:o1', queue: 'order.created', consumer: 'orders-1', deliveryTag: 1, channel: 1 })
    .order('o2', 'ok')
    .publish('api-1', 'order.created:o2', 'o2', 'orders', 'order.created', 'ok')
    .order('o3', 'info')
    .order('o4', 'info')
    .order('o4', 'ok', 'normal', 2);
}

describe('report order stories', () => {
  it('finds the orders a check names, by order id or by message id, grouped by where they were found', () => {
    const h = history();
    const index = idIndex(h.events);
    const groups = flaggedOrders(
      {
        'zero-loss': {
          valid: false,
          summary: '1 of 2 accepted orders lost (o2)',
          lostOrderIds: ['o2'],
          table: { columns: ['o1'], rows: [['o1']] },
        },
        effects: { valid: false, summary: 'x', violations: { 'partial-order': [{ orderId: 'o1', note: 'lacks stock' }] } },
        acknowledgements: { valid: false, summary: 'x', lost: [{ id: 'order.created:o2', queue: 'order.created' }] },
        liveness: { valid: true, summary: 'nothing stuck', stuckOrderIds: [], note: 'queue order.created' },
      },
      index,
    );
    expect(groups).toEqual([
      { label: 'zero-loss › lostOrderIds', orderIds: ['o2'] },
      { label: 'effects › violations › partial-order', orderIds: ['o1'] },
      { label: 'acknowledgements › lost', orderIds: ['o2'] },
    ]);
  });

  it('tells an order in doubt only while no attempt of it was accepted', () => {
    expect(inDoubtOrders(history().events)).toEqual(['o3']);
  });

  it("tells an order's story from every process, including events that carry only a message id", () => {
    const h = history();
    const [story] = orderStories(h.events, ['o1'], idIndex(h.events));
    expect(story!.events.map((e) => `${e.proc} ${e.kind}`)).toEqual([
      'client order-request',
      'api-1 publish-attempt',
      'api-1 publish-result',
      'orders-1 deliver',
      'orders-1 ack',
    ]);
  });
});
