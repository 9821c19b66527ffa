import { describe, expect, it } from 'vitest';
import {
  belongsToStep,
  brokerRates,
  loadWindowSeconds,
  MessageCounter,
  messagesPerSecond,
  orderIdPrefix,
  publishRatio,
} from '../../../bench/broker-rates.ts';
import { rawOrderCreatedBody } from '../../../bench/raw-body.ts';
import type { HistoryEvent } from '../../../instrument/history-event.ts';

const base = { t: 1, proc: 'orders-1' };
/** One order's pipeline as the histories tell it, trimmed to the events the counter looks at. */
function orderEvents(orderId: string): HistoryEvent[] {
  return [
    { ...base, kind: 'order-request', orderId, outcome: 'ok' },
    { ...base, kind: 'publish-attempt', id: `order.created:${orderId}`, orderId, exchange: 'orders', routingKey: 'order.created' },
    { ...base, kind: 'publish-result', id: `order.created:${orderId}`, orderId, outcome: 'ok' },
    {
      ...base,
      kind: 'deliver',
      id: `order.created:${orderId}`,
      orderId,
      queue: 'order.created',
      consumer: 'orders-1',
      deliveryTag: 1,
      redelivered: false,
      channel: 1,
    },
    {
      ...base,
      kind: 'deliver',
      id: `order.created:${orderId}`,
      orderId,
      queue: 'inventory.update',
      consumer: 'inventory-1',
      deliveryTag: 1,
      redelivered: false,
      channel: 1,
    },
    { ...base, kind: 'publish-attempt', id: `payment.process:${orderId}`, orderId, exchange: 'payments', routingKey: 'process' },
    { ...base, kind: 'publish-result', id: `payment.process:${orderId}`, orderId, outcome: 'info', error: 'no confirm' },
    { ...base, kind: 'ack', id: `order.created:${orderId}`, queue: 'order.created', consumer: 'orders-1', deliveryTag: 1, channel: 1 },
  ];
}

describe('step membership', () => {
  it('keeps events of the step seed orders only', () => {
    const prefix = orderIdPrefix(1);
    expect(prefix).toBe('order-1-');
    const [request] = orderEvents('order-1-7');
    expect(belongsToStep(request!, prefix)).toBe(true);
    expect(belongsToStep({ ...request!, orderId: 'order-11-7' } as HistoryEvent, prefix)).toBe(false);
    expect(belongsToStep({ ...base, kind: 'lifecycle', event: 'ready' }, prefix)).toBe(false);
    expect(
      belongsToStep(
        { ...base, kind: 'deliver', id: 'x', queue: 'q', consumer: 'c', deliveryTag: 1, redelivered: false, channel: 1 },
        prefix,
      ),
    ).toBe(false);
  });
});

describe('MessageCounter', () => {
  it('counts attempts, confirmed publishes and deliveries, across calls', () => {
    const counter = new MessageCounter();
    counter.ingest(orderEvents('order-1-1'));
    counter.ingest(orderEvents('order-1-2'));
    expect(counter.counts).toEqual({ publishAttempts: 4, confirmedPublishes: 2, deliveries: 4 });
  });
});

describe('brokerRates', () => {
  it('divides by accepted orders and by the load window', () => {
    expect(brokerRates({ publishAttempts: 6_010, confirmedPublishes: 6_000, deliveries: 7_021 }, 1_000, 4)).toEqual({
      publishesPerOrder: 6,
      deliveriesPerOrder: 7.021,
      publishesPerSecond: 1_500,
      deliveriesPerSecond: 1_755.25,
    });
  });

  it('has no per-order figure without accepted orders, and refuses an empty window', () => {
    expect(brokerRates({ publishAttempts: 0, confirmedPublishes: 0, deliveries: 0 }, 0, 15)).toMatchObject({
      publishesPerOrder: null,
      deliveriesPerOrder: null,
      publishesPerSecond: 0,
    });
    expect(() => brokerRates({ publishAttempts: 0, confirmedPublishes: 0, deliveries: 0 }, 1, 0)).toThrow(RangeError);
  });

  it('uses the schedule length unless dispatch ran longer', () => {
    expect(loadWindowSeconds(15, 14_990)).toBe(15);
    expect(loadWindowSeconds(15, 15_500)).toBe(15.5);
  });
});

describe('ratio math', () => {
  it('relates order-system publishes to raw publishes', () => {
    expect(publishRatio(1_800, 18_000)).toBeCloseTo(0.1);
    expect(publishRatio(1_800, null)).toBeNull();
    expect(publishRatio(1_800, 0)).toBeNull();
  });

  it('gives a rate, and zero for no time', () => {
    expect(messagesPerSecond(170_000, 10)).toBe(17_000);
    expect(messagesPerSecond(5, 0)).toBe(0);
  });
});

describe('rawOrderCreatedBody', () => {
  it('is JSON the size of an order.created, the same for the same index', () => {
    for (const i of [0, 7, 12_345_678]) {
      const body = rawOrderCreatedBody(i);
      expect(body.length).toBeGreaterThanOrEqual(200);
      expect(body.length).toBeLessThanOrEqual(300);
      expect(JSON.parse(body.toString())).toMatchObject({ items: expect.any(Array), totalCents: expect.any(Number) });
    }
    expect(rawOrderCreatedBody(3).equals(rawOrderCreatedBody(3))).toBe(true);
  });
});
