import { describe, expect, it } from 'vitest';
import { limitingStage, type StageEvidence } from '../../../bench/limiting-stage.ts';
import type { QueueLoad } from '../../../bench/queue-sampler.ts';

function queue(name: string, change: Partial<QueueLoad> = {}): QueueLoad {
  return {
    queue: name,
    consumers: 2,
    slots: 40,
    backlogGrowthPerSecond: 0,
    depthAtEnd: 10,
    slotUtilisation: 0.2,
    maxSlotUtilisation: 0.4,
    samples: 15,
    ...change,
  };
}

const CALM: StageEvidence = {
  targetRate: 400,
  achievedRate: 400,
  queues: [queue('order.created'), queue('payment.process', { slotUtilisation: 0.5 }), queue('notification.send')],
  latency: [
    { queue: 'payment.process', messages: 6000, p50Ms: 3, p99Ms: 20, maxMs: 40 },
    { queue: 'order.created', messages: 6000, p50Ms: 2, p99Ms: 9, maxMs: 15 },
  ],
  machineBusyCores: 1.2,
  machineCores: 2,
  kinds: [
    { kind: 'broker', cores: 0.5 },
    { kind: 'payments', cores: 0.3 },
    { kind: 'harness', cores: 0.1 },
  ],
};

describe('limitingStage', () => {
  it('names the queue whose consumers hold every slot while its backlog grows, with its figures', () => {
    const limit = limitingStage({
      ...CALM,
      queues: [
        queue('order.created', { backlogGrowthPerSecond: 1 }),
        queue('payment.process', { slotUtilisation: 0.97, maxSlotUtilisation: 1, backlogGrowthPerSecond: 85.4 }),
      ],
      latency: [{ queue: 'payment.process', messages: 6000, p50Ms: 900, p99Ms: 3_210, maxMs: 3_500 }],
    });
    expect(limit).toEqual({
      stage: 'queue',
      queue: 'payment.process',
      summary:
        'payment.process consumers saturated: 97% of 40 slots used (2 consumers), backlog +85.4 msg/s, ' +
        'publish to deliver p99 3210 ms; machine at 60% of 2 cores',
    });
  });

  it('prefers a growing backlog over a queue that is merely busy', () => {
    const limit = limitingStage({
      ...CALM,
      queues: [
        queue('order.status', { slotUtilisation: 0.95 }),
        queue('inventory.update', { slotUtilisation: 0.6, backlogGrowthPerSecond: 30 }),
      ],
    });
    expect(limit.stage).toBe('queue');
    expect(limit.queue).toBe('inventory.update');
    expect(limit.summary).toMatch(/^inventory\.update backlog grows with free consumer slots/);
  });

  it('calls a growing queue whose consumers filled every slot saturated, though the mean over the ramp-up reads lower', () => {
    const limit = limitingStage({
      ...CALM,
      queues: [queue('order.status', { slotUtilisation: 0.81, maxSlotUtilisation: 1, backlogGrowthPerSecond: 127.1 })],
    });
    expect(limit.summary).toMatch(/^order\.status consumers saturated: 81% of 40 slots used/);
  });

  it('calls a busy queue without growth saturated when nothing else stands out', () => {
    expect(limitingStage({ ...CALM, queues: [queue('payment.process', { slotUtilisation: 0.92 })] })).toMatchObject({
      stage: 'queue',
      queue: 'payment.process',
    });
  });

  it('does not count growth within 1% of the target rate (or 2 msg/s) as a backlog', () => {
    expect(limitingStage({ ...CALM, queues: [queue('payment.process', { backlogGrowthPerSecond: 3.9 })] }).stage).toBe('none');
    expect(limitingStage({ ...CALM, queues: [queue('payment.process', { backlogGrowthPerSecond: 4.1 })] }).stage).toBe('queue');
  });

  it('says CPU-bound when the machine is nearly out of cores, naming the heaviest kinds and the first queue to back up', () => {
    const limit = limitingStage({
      ...CALM,
      machineBusyCores: 1.9,
      queues: [queue('order.created', { slotUtilisation: 0.99, backlogGrowthPerSecond: 40 })],
    });
    expect(limit).toEqual({
      stage: 'cpu',
      queue: 'order.created',
      summary:
        'CPU-bound: machine at 95% of 2 cores (heaviest, in cores: broker 0.50, payments 0.30, harness 0.10); ' +
        'first to back up: order.created (99% of 40 slots used (2 consumers), backlog +40.0 msg/s, publish to deliver p99 9 ms)',
    });
  });

  it('names the cores other work on the machine took', () => {
    expect(limitingStage({ ...CALM, machineBusyCores: 1.86, otherCores: 0.6 }).summary).toMatch(
      /^CPU-bound: machine at 93% of 2 cores \(0\.60 cores of it other work on the machine\) /,
    );
    expect(limitingStage({ ...CALM, machineBusyCores: 1.86, otherCores: 0.05 }).summary).toMatch(
      /^CPU-bound: machine at 93% of 2 cores \(heaviest/,
    );
  });

  it('says CPU-bound with no queue backed up', () => {
    expect(limitingStage({ ...CALM, machineBusyCores: 1.85 }).summary).toMatch(
      /^CPU-bound: machine at 93% of 2 cores .*; no queue backed up$/,
    );
  });

  it('blames the generator when the client fell short while no queue saturated and cores were free', () => {
    expect(limitingStage({ ...CALM, achievedRate: 380.2 })).toEqual({
      stage: 'generator',
      summary: 'generator: the client sent 380.2/s of 400/s while no queue saturated; machine at 60% of 2 cores',
    });
  });

  it('says so when no stage saturates, with the fullest consumers and the slowest queue', () => {
    expect(limitingStage(CALM)).toEqual({
      stage: 'none',
      summary:
        'no stage saturates: machine at 60% of 2 cores; fullest consumers payment.process at 50% of their slots; ' +
        'slowest queue payment.process (publish to deliver p99 20 ms)',
    });
  });

  it('still decides without queue figures or machine CPU, and says what it lacked', () => {
    expect(limitingStage({ ...CALM, queues: null, machineBusyCores: null, latency: [] })).toEqual({
      stage: 'none',
      summary: 'no stage saturates: machine CPU unknown (queue figures unavailable)',
    });
  });
});
