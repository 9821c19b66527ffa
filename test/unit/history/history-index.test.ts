import { describe, expect, it } from 'vitest';
import { historyIndex } from '../../../harness/history/history-index.ts';
import type { HistoryEvent } from '../../../instrument/history-event.ts';

const events = (): HistoryEvent[] => [
  { t: 3, proc: 'client', kind: 'order-request', orderId: 'o1', outcome: 'ok' },
  { t: 1, proc: 'api-1', kind: 'publish-attempt', id: 'm1', orderId: 'o1', exchange: 'orders', routingKey: 'order.created' },
  { t: 2, proc: 'api-1', kind: 'publish-result', id: 'm1', orderId: 'o1', outcome: 'ok' },
  {
    t: 2,
    proc: 'orders-1',
    kind: 'deliver',
    id: 'm1',
    orderId: 'o1',
    queue: 'q',
    consumer: 'orders-1',
    deliveryTag: 1,
    redelivered: false,
    channel: 1,
  },
];

describe('history index', () => {
  it('sorts once by time, keeping the input order of ties, and groups by kind, id and order', () => {
    const index = historyIndex(events());
    expect(index.sorted.map((e) => e.kind)).toEqual(['publish-attempt', 'publish-result', 'deliver', 'order-request']);
    expect(index.ofKind('deliver').map((e) => e.queue)).toEqual(['q']);
    expect(index.ofKind('ack')).toEqual([]);
    expect(index.byId('m1').map((e) => e.t)).toEqual([1, 2, 2]);
    expect(index.byOrder('o1')).toHaveLength(4);
    expect(index.endOfHistory).toBe(3);
  });

  it('is built once per events array, and again when the array grew', () => {
    const list = events();
    const first = historyIndex(list);
    expect(historyIndex(list)).toBe(first);
    let builds = 0;
    const derive = () => first.derived('count', () => ++builds);
    expect([derive(), derive()]).toEqual([1, 1]);
    list.push({ t: 9, proc: 'client', kind: 'order-request', orderId: 'o2', outcome: 'fail' });
    const second = historyIndex(list);
    expect(second).not.toBe(first);
    expect(second.ofKind('order-request')).toHaveLength(2);
  });
});
