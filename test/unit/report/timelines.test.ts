import { describe, expect, it } from 'vitest';
import type { HistoryEvent } from '../../../instrument/history-event.ts';
import { buildTimelines, percentile, type Series } from '../../../harness/report/timelines.ts';
import type { BrokerSample } from '../../../harness/runner/broker-sampler.ts';

const T0 = 1_000_000;
const at = (s: number) => T0 + s * 1000;
const valueAt = (series: readonly Series[], name: string, second: number) =>
  series.find((s) => s.name.startsWith(name))!.points.find(([x]) => x === second)![1];

function answer(sentSecond: number, outcome: 'ok' | 'fail' | 'info', extra: Partial<HistoryEvent> = {}, latencyMs = 100): HistoryEvent {
  return {
    t: at(sentSecond) + latencyMs,
    proc: 'client',
    kind: 'order-request',
    orderId: `o-${sentSecond}-${Math.random()}`,
    outcome,
    latencyMs,
    attempt: 1,
    ...extra,
  } as HistoryEvent;
}

describe('report timelines', () => {
  it('counts first attempts by send time, answers by outcome and drops, per second from the load start', () => {
    const events = [
      answer(0.1, 'ok'),
      answer(0.5, 'ok'),
      answer(1.2, 'fail'),
      answer(1.3, 'info', {}, 2_000), // answered at 3.3 s
      answer(1.4, 'ok', { attempt: 2 } as Partial<HistoryEvent>), // a retry: an answer, not a send
      { t: at(2.5), proc: 'client', kind: 'order-dropped', index: 9, reason: 'late' } as HistoryEvent,
    ].sort((a, b) => a.t - b.t);
    const t = buildTimelines({ events, samples: [], t0: T0, targetRate: 2 });
    expect(valueAt(t.rate, 'target', 0)).toBe(2);
    expect(valueAt(t.rate, 'sent', 0)).toBe(2);
    expect(valueAt(t.rate, 'sent', 1)).toBe(2);
    expect(valueAt(t.rate, 'accepted', 1)).toBe(0);
    expect(valueAt(t.answers, 'ok', 0)).toBe(2);
    expect(valueAt(t.answers, 'ok', 1)).toBe(1);
    expect(valueAt(t.answers, 'refused', 1)).toBe(1);
    expect(valueAt(t.answers, 'in doubt', 3)).toBe(1);
    expect(valueAt(t.answers, 'dropped', 2)).toBe(1);
    // After the last send there is no target to meet: no line, not a zero.
    expect(valueAt(t.rate, 'target', 3)).toBeNull();
  });

  it('measures latency from the due time: a late start counts against the request', () => {
    const onTime = answer(0.2, 'ok', {}, 50);
    const late = answer(0.9, 'ok', { lateMs: 600 } as Partial<HistoryEvent>, 50); // due at 0.3 s
    const later = answer(2.2, 'ok', {}, 50);
    const t = buildTimelines({ events: [onTime, late, later], samples: [], t0: T0, targetRate: 2 });
    expect(valueAt(t.latency, 'p50', 0)).toBe(50);
    expect(valueAt(t.latency, 'p99', 0)).toBe(650);
    expect(valueAt(t.latency, 'p99', 1)).toBeNull();
  });

  it('draws broker samples per queue, and a second the broker did not answer as a gap, not as an empty queue', () => {
    const samples: BrokerSample[] = [
      {
        t: at(0.5),
        reachable: true,
        queues: [
          { name: 'work', ready: 5, unacked: 2, consumers: 1 },
          { name: 'idle', ready: 0, unacked: 0, consumers: 0 },
          { name: 'quiet', ready: 0, unacked: 0, consumers: 1 },
        ],
        consumerConnections: ['a', 'b'],
      },
      { t: at(1.5), reachable: false },
      { t: at(2.5), reachable: true, queues: [{ name: 'work', ready: 0, unacked: 0, consumers: 1 }], consumerConnections: ['a'] },
    ];
    const t = buildTimelines({ events: [], samples, t0: T0, targetRate: 1 });
    // A queue nobody consumed from that never held anything is left out; an empty work queue is a flat zero.
    expect(t.queueDepth.map((s) => s.name)).toEqual(['quiet', 'work']);
    expect(valueAt(t.queueDepth, 'quiet', 0)).toBe(0);
    expect(valueAt(t.queueDepth, 'work', 0)).toBe(5);
    expect(valueAt(t.queueDepth, 'work', 1)).toBeNull();
    expect(valueAt(t.queueDepth, 'work', 2)).toBe(0);
    expect(valueAt(t.unacked, 'work', 0)).toBe(2);
    expect(valueAt(t.consumers, 'consumer', 0)).toBe(2);
    expect(valueAt(t.consumers, 'consumer', 1)).toBeNull();
    expect(valueAt(t.consumers, 'consumer', 2)).toBe(1);
  });

  it('counts publish confirms by outcome', () => {
    const events = [
      { t: at(0.1), proc: 'api-1', kind: 'publish-result', id: 'm1', orderId: 'o1', outcome: 'ok' },
      { t: at(0.2), proc: 'api-1', kind: 'publish-result', id: 'm2', orderId: 'o2', outcome: 'info', error: 'timeout' },
      { t: at(1.2), proc: 'orders-1', kind: 'publish-result', id: 'm3', orderId: 'o1', outcome: 'fail' },
    ] as HistoryEvent[];
    const t = buildTimelines({ events, samples: [], t0: T0, targetRate: 1 });
    expect(valueAt(t.confirms, 'confirmed', 0)).toBe(1);
    expect(valueAt(t.confirms, 'outcome unknown', 0)).toBe(1);
    expect(valueAt(t.confirms, 'nacked', 1)).toBe(1);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([3, 1, 2], 0.5)).toBe(2);
    expect(
      percentile(
        [...Array(100).keys()].map((i) => i + 1),
        0.99,
      ),
    ).toBe(99);
  });
});
