import { describe, expect, it } from 'vitest';
import type { CheckResult, RunRecord } from '../../../harness/checkers/checker.ts';
import {
  BrokerSamplesShapeError,
  jainIndex,
  prefetchFairnessChecker,
  type ConsumerShare,
  type PrefetchFairnessOptions,
} from '../../../harness/checkers/prefetch-fairness.ts';
import { ConsumerHistory, runRecord } from './consumer-history.ts';

const Q = 'payment.process';

async function check(h: ConsumerHistory, options: PrefetchFairnessOptions = {}, extra: Partial<RunRecord> = {}): Promise<CheckResult> {
  return prefetchFairnessChecker({ prefetch: 2, ...options }).check(runRecord(h.events, extra));
}

function violation(result: CheckResult, kind: string): { count: number; examples: Record<string, unknown>[] } | undefined {
  return (result.violations as Record<string, { count: number; examples: Record<string, unknown>[] }>)[kind];
}

function consumer(result: CheckResult, name: string): ConsumerShare {
  return (result.consumers as ConsumerShare[]).find((c) => c.consumer === name)!;
}

/** `counts[i]` messages for consumer i, one at a time, 10 ms each, interleaved round-robin while both have work. */
function split(counts: Record<string, number>, queue = Q): ConsumerHistory {
  const h = new ConsumerHistory();
  const left = { ...counts };
  let n = 0;
  while (Object.values(left).some((c) => c > 0)) {
    for (const [proc, c] of Object.entries(left)) {
      if (c === 0) continue;
      left[proc] = c - 1;
      const t = 1_000 + n * 10;
      h.at(t);
      const d = h.deliver(proc, `m${n++}`, queue);
      h.at(t + 5)
        .handled(d)
        .ack(d);
    }
  }
  return h;
}

describe('prefetch-fairness checker', () => {
  it('passes when no consumer exceeds the prefetch and the work is split evenly', async () => {
    const result = await check(split({ 'payments-1': 60, 'payments-2': 60 }));
    expect(result.valid).toBe(true);
    expect(result.queues).toEqual([expect.objectContaining({ queue: Q, deliveries: 120, judged: true, jain: 1 })]);
    expect(consumer(result, 'payments-1')).toMatchObject({ deliveries: 60, share: 0.5, capacityShare: 0.5, utilisation: 1, maxUnacked: 1 });
    expect(result.table).toMatchObject({
      columns: [
        'queue',
        'consumer',
        'deliveries',
        'share',
        'capacity share',
        'utilisation',
        'max unacked',
        'p95 hold ms',
        'p95 wait ms',
        'jain',
      ],
    });
  });

  it('fails when a consumer holds more unacked deliveries than the prefetch', async () => {
    const h = new ConsumerHistory();
    const held = [h.deliver('payments-1', 'm1', Q), h.deliver('payments-1', 'm2', Q), h.deliver('payments-1', 'm3', Q)];
    for (const d of held) h.handled(d).ack(d);
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(violation(result, 'over-prefetch')).toMatchObject({
      count: 1,
      examples: [{ consumer: 'payments-1', queue: Q, maxUnacked: 3, prefetch: 2 }],
    });
  });

  it('resets a consumer’s count when its consume connection dies (the broker requeued what it held)', async () => {
    const h = new ConsumerHistory();
    h.deliver('payments-1', 'm1', Q);
    h.deliver('payments-1', 'm2', Q);
    h.disconnected('payments-1');
    const again = [h.deliver('payments-1', 'm1', Q, { redelivered: true }), h.deliver('payments-1', 'm2', Q, { redelivered: true })];
    for (const d of again) h.handled(d).ack(d);
    const result = await check(h);
    expect(result.valid).toBe(true);
    expect(consumer(result, 'payments-1').maxUnacked).toBe(2);
  });

  it('with auto-ack deliveries counts those not yet handled, since the broker ignores prefetch', async () => {
    const h = new ConsumerHistory();
    const auto = { autoAck: true };
    const ds = [h.deliver('payments-1', 'm1', Q, auto), h.deliver('payments-1', 'm2', Q, auto), h.deliver('payments-1', 'm3', Q, auto)];
    for (const d of ds) h.handled(d);
    const result = await check(h);
    expect(violation(result, 'over-prefetch')?.examples[0]).toMatchObject({ maxUnacked: 3, note: expect.stringMatching(/auto-ack/) });
  });

  describe('broker channel samples', () => {
    const sample = { t: 1_000, connectionName: 'payments-1 consume', consumerCount: 1, prefetchCount: 2, unacked: 1 };

    it('agree when unacked stays within the configured prefetch; channels without consumers are ignored', async () => {
      const broker = {
        channelSamples: [sample, { ...sample, connectionName: 'payments-1 publish', consumerCount: 0, prefetchCount: 0, unacked: 0 }],
      };
      const result = await check(split({ 'payments-1': 3 }), {}, { broker });
      expect(result.valid).toBe(true);
      expect(result.broker).toMatchObject({ samplesChecked: 1, maxUnackedByConnection: { 'payments-1 consume': 1 } });
    });

    it('fail when the broker shows more unacked than the channel prefetch', async () => {
      const result = await check(split({ 'payments-1': 3 }), {}, { broker: { channelSamples: [{ ...sample, unacked: 3 }] } });
      expect(result.valid).toBe(false);
      expect(violation(result, 'broker-over-prefetch')?.examples[0]).toMatchObject({ connectionName: 'payments-1 consume', unacked: 3 });
    });

    it('fail when the broker’s prefetch is not the configured one', async () => {
      const result = await check(split({ 'payments-1': 3 }), {}, { broker: { channelSamples: [{ ...sample, prefetchCount: 1000 }] } });
      expect(violation(result, 'broker-prefetch-mismatch')?.examples[0]).toMatchObject({ prefetchCount: 1000, configuredPrefetch: 2 });
    });

    it('refuse samples of the wrong shape with a message naming the expected one', async () => {
      const checker = prefetchFairnessChecker({ prefetch: 2 });
      expect(() =>
        checker.check(runRecord(split({ 'payments-1': 3 }).events, { broker: { channelSamples: [{ t: 1, unacked: '3' }] } })),
      ).toThrow(BrokerSamplesShapeError);
      expect(() => checker.check(runRecord([], { broker: { channelSamples: {} } }))).toThrow(
        /expected an array of \{ t: number, connectionName/,
      );
    });
  });

  it('fails on a queue whose work split gives a Jain index below the threshold', async () => {
    const result = await check(split({ 'payments-1': 100, 'payments-2': 20 }));
    expect(result.valid).toBe(false);
    expect(violation(result, 'unfair')?.examples[0]).toMatchObject({ queue: Q, threshold: 0.8 });
    expect((result.queues as { jain: number }[])[0]!.jain).toBeCloseTo(0.692, 2);
    expect(violation(result, 'starved')).toBeUndefined();
  });

  it('judges shares against capacity: a 5:1 split between a fast and a slow consumer is fair', async () => {
    const result = await check(split({ 'payments-1': 100, 'payments-2': 20 }), {
      capacityByConsumer: { 'payments-1': 5, 'payments-2': 1 },
    });
    expect(result.valid).toBe(true);
    expect(consumer(result, 'payments-2').utilisation).toBeCloseTo(1, 5);
  });

  it('does not judge fairness on too few deliveries', async () => {
    const result = await check(split({ 'payments-1': 20, 'payments-2': 2 }));
    expect(result.valid).toBe(true);
    expect(result.summary).toMatch(/fairness not judged/);
  });

  it('fails when a connected consumer starves while another does the work, even one with no delivery at all', async () => {
    const h = split({ 'payments-1': 60 });
    h.at(900).connected('payments-2');
    const result = await check(h, {}, { system: { instances: { payments: 2 } } });
    expect(result.valid).toBe(false);
    expect(violation(result, 'starved')?.examples).toEqual([
      expect.objectContaining({ consumer: 'payments-2', deliveries: 0, fairShare: 0.5 }),
    ]);
  });

  it('weights a fair share by the time a consumer was connected', async () => {
    // payments-2 only connects for the last tenth of the queue's active period and gets a tenth of its fair share of work.
    const h = split({ 'payments-1': 60 });
    h.at(1_540).connected('payments-2');
    for (let i = 0; i < 4; i++) {
      h.at(1_545 + i * 10);
      const d = h.deliver('payments-2', `late${i}`, Q);
      h.handled(d).ack(d);
    }
    const result = await check(h);
    expect(consumer(result, 'payments-2').presence).toBeLessThan(0.2);
    expect(violation(result, 'starved')).toBeUndefined();
  });

  describe('hoarding', () => {
    /** payments-1 keeps each message 3 s though its work takes 100 ms; payments-2 does `fast` with the same 100 ms of work. */
    function slowHolder(fast: 'working alongside' | 'idle' | 'just as stuck' | 'disconnected'): ConsumerHistory {
      const h = new ConsumerHistory();
      h.at(500).connected('payments-1').connected('payments-2');
      for (let i = 0; i < 20; i++) {
        h.at(10_000 + i * 500);
        const d = h.deliver('payments-1', `s${i}`, Q);
        h.at(10_000 + i * 500 + 3_000)
          .handled(d)
          .ack(d);
      }
      if (fast === 'disconnected') h.at(9_000).disconnected('payments-2');
      if (fast === 'idle' || fast === 'disconnected') return h;
      for (let i = 0; i < 20; i++) {
        const t = 10_000 + i * 500 + 200;
        h.at(t);
        const d = h.deliver('payments-2', `f${i}`, Q);
        h.at(t + (fast === 'just as stuck' ? 3_000 : 100))
          .handled(d)
          .ack(d);
      }
      return h;
    }
    const processing = { processingMsByConsumer: { 'payments-1': 100, 'payments-2': 100 }, prefetch: 10 };

    it('fails when a consumer sits on messages while another consumer of the queue was working and had room', async () => {
      const result = await check(slowHolder('working alongside'), processing);
      expect(result.valid).toBe(false);
      expect(violation(result, 'hoarding')?.examples).toEqual([
        expect.objectContaining({ consumer: 'payments-1', queue: Q, serviceMs: 100 }),
      ]);
      expect(consumer(result, 'payments-1').p95WaitMs).toBeCloseTo(2_902, -1);
      expect(consumer(result, 'payments-2').p95AvoidableWaitMs).toBe(0);
    });

    it('fails when a consumer sits on messages while another, connected, consumer idles with nothing to do', async () => {
      // With no delivery at all, only the run's configured instances say payments-2 consumes this queue.
      const result = await check(slowHolder('idle'), processing, { system: { instances: { payments: 2 } } });
      expect(violation(result, 'hoarding')?.examples).toEqual([expect.objectContaining({ consumer: 'payments-1' })]);
    });

    it('is not hoarding when every consumer was just as stuck (a fault downstream), or the other one was gone', async () => {
      for (const fast of ['just as stuck', 'disconnected'] as const) {
        const result = await check(slowHolder(fast), processing, { system: { instances: { payments: 2 } } });
        expect(violation(result, 'hoarding'), fast).toBeUndefined();
        expect(consumer(result, 'payments-1').p95WaitMs, fast).toBeGreaterThan(2_000);
        expect(consumer(result, 'payments-1').p95AvoidableWaitMs, fast).toBe(0);
      }
    });
  });

  it('computes Jain’s index', () => {
    expect(jainIndex([1, 1, 1])).toBe(1);
    expect(jainIndex([3, 0, 0])).toBeCloseTo(1 / 3);
    expect(jainIndex([])).toBe(1);
  });
});
