import { describe, expect, it } from 'vitest';
import { DeliverLatency, quantile } from '../../../bench/deliver-latency.ts';
import { queueLoads, type QueueSample } from '../../../bench/queue-sampler.ts';
import type { HistoryEvent } from '../../../instrument/history-event.ts';

const sample = (at: number, queue: string, ready: number, unacked: number, slots = 40): QueueSample => ({
  at,
  queue,
  ready,
  unacked,
  consumers: 2,
  slots,
});

describe('queueLoads', () => {
  it('gives each queue its backlog growth per second and the share of its consumer slots in use', () => {
    const loads = queueLoads([
      sample(2_000, 'payment.process', 100, 40),
      sample(0, 'payment.process', 0, 30),
      sample(1_000, 'payment.process', 50, 38),
      sample(0, 'order.created', 0, 2),
      sample(2_000, 'order.created', 0, 4),
    ]);
    const payments = loads.find((q) => q.queue === 'payment.process')!;
    expect(payments).toMatchObject({
      backlogGrowthPerSecond: 55,
      depthAtEnd: 140,
      slots: 40,
      consumers: 2,
      maxSlotUtilisation: 1,
      samples: 3,
    });
    expect(payments.slotUtilisation).toBeCloseTo((0.75 + 0.95 + 1) / 3);
    const created = loads.find((q) => q.queue === 'order.created')!;
    expect(created.backlogGrowthPerSecond).toBe(1);
    expect(created.slotUtilisation).toBeCloseTo(0.075);
  });

  it('has no utilisation for a queue without bounded consumers, and no growth from one sample', () => {
    expect(queueLoads([sample(0, 'order.audit', 7, 0, 0)])[0]).toMatchObject({ slotUtilisation: null, backlogGrowthPerSecond: 0 });
  });
});

describe('DeliverLatency', () => {
  const ev = (e: Record<string, unknown>) => e as unknown as HistoryEvent;
  it('measures each queue from the first publish attempt to the first delivery of each message id', () => {
    const latency = new DeliverLatency();
    latency.ingest([
      ev({ kind: 'deliver', t: 1_030, id: 'a', queue: 'order.created' }),
      ev({ kind: 'publish-attempt', t: 1_000, id: 'a' }),
      ev({ kind: 'publish-attempt', t: 1_500, id: 'a' }),
      ev({ kind: 'deliver', t: 1_010, id: 'a', queue: 'inventory.update' }),
      ev({ kind: 'deliver', t: 2_000, id: 'a', queue: 'order.created' }),
      ev({ kind: 'publish-attempt', t: 1_100, id: 'b' }),
      ev({ kind: 'deliver', t: 1_150, id: 'b', queue: 'order.created' }),
      ev({ kind: 'deliver', t: 1_150, id: 'never-published', queue: 'order.created' }),
    ]);
    expect(latency.byQueue()).toEqual([
      { queue: 'order.created', messages: 2, p50Ms: 30, p99Ms: 50, maxMs: 50 },
      { queue: 'inventory.update', messages: 1, p50Ms: 10, p99Ms: 10, maxMs: 10 },
    ]);
  });

  it('quantile is nearest-rank', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
    expect(quantile([], 0.5)).toBeNaN();
  });
});
