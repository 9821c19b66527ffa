import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../harness/checkers/checker.ts';
import { deadLetterRoutingChecker, type DeadLetterRoutingOptions } from '../../../harness/checkers/dead-letter-routing.ts';
import { DeadLetterStore } from '../../../system/stores/dead-letter-store.ts';
import { readReferenceEffects } from '../../../system/target/read-effects.ts';
import { tempDir } from '../../support/temp-dir.ts';
import { ConsumerHistory, runRecord } from './consumer-history.ts';

const Q = 'payment.process';
const DLQ = 'dead_letter_queue';

/** With `dataDir`, the reference target's stores there are read back as the runner does (run.effects). */
async function check(h: ConsumerHistory, options: DeadLetterRoutingOptions = {}, dataDir?: string): Promise<CheckResult> {
  const effects = dataDir ? await readReferenceEffects(dataDir) : undefined;
  return deadLetterRoutingChecker(options).check(runRecord(h.events, effects ? { effects } : {}));
}

function violation(
  result: CheckResult,
  kind: string,
): { count: number; examples: { id: string; queue: string; expected?: string; actual?: string; note?: string }[] } | undefined {
  return (
    result.violations as Record<
      string,
      { count: number; examples: { id: string; queue: string; expected?: string; actual?: string; note?: string }[] }
    >
  )[kind];
}

/** The harness injects `id` into `queue` as a malformed message: the workload means it to be rejected. */
function malformed(h: ConsumerHistory, id: string, queue = Q): ConsumerHistory {
  return h.add('injector', { kind: 'publish-attempt', id, orderId: '', exchange: '', routingKey: queue, intent: 'malformed' });
}

/** A consumer rejects `id`, injected as malformed, as poison (requeue=false). */
function poison(h: ConsumerHistory, id: string, queue = Q): ConsumerHistory {
  malformed(h, id, queue);
  return h.settle('reject', h.deliver('payments-1', id, queue), false);
}

/** The auditor takes the dead letter off the dead-letter queue and records it. */
function audit(h: ConsumerHistory, id: string, queue = Q, reason = 'rejected', redelivered = false): ConsumerHistory {
  const d = h.deliver('dead-letter-1', id, DLQ, { redelivered });
  h.deadLettered(id, queue, reason).handled(d, true, 'dead-letter-recorded').ack(d);
  return h;
}

describe('dead-letter-routing checker', () => {
  it('passes when every rejected and every expected-to-expire message is dead-lettered once with its reason', async () => {
    const h = new ConsumerHistory();
    h.consume('payments-1', 'ok1', Q);
    poison(h, 'bad1');
    audit(h, 'bad1');
    audit(h, 'ttl1', 'order.created', 'expired');
    const result = await check(h, { expectDeadLetters: [{ id: 'ttl1', queue: 'order.created', reason: 'expired' }] });
    expect(result.valid).toBe(true);
    expect(result).toMatchObject({
      mustDie: 2,
      deadLettered: 2,
      perReason: { rejected: 1, expired: 1 },
      perQueue: { [Q]: 1, 'order.created': 1 },
    });
    expect(result.table).toMatchObject({
      columns: ['queue', 'reason', 'expected', 'dead-lettered', 'missing', 'unexpected', 'duplicates'],
    });
  });

  it('treats a nack with requeue=false like a reject', async () => {
    const h = new ConsumerHistory();
    h.settle('nack', h.deliver('payments-1', 'bad1', Q), false);
    const result = await check(h);
    expect(violation(result, 'missing')?.examples[0]).toMatchObject({ id: 'bad1', expected: 'rejected' });
  });

  it('fails when a rejected message never reaches the dead-letter queue', async () => {
    const h = new ConsumerHistory();
    poison(h, 'bad1');
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(violation(result, 'missing')).toMatchObject({ count: 1, examples: [{ id: 'bad1', queue: Q, expected: 'rejected' }] });
  });

  it('fails when a message that had to expire was processed as a success instead', async () => {
    const h = new ConsumerHistory();
    h.consume('orders-1', 'ttl1', 'order.created');
    const result = await check(h, { expectDeadLetters: [{ id: 'ttl1', queue: 'order.created', reason: 'expired' }] });
    expect(result.valid).toBe(false);
    expect(violation(result, 'handled-instead')?.examples[0]).toMatchObject({ id: 'ttl1', expected: 'expired' });
    expect(violation(result, 'missing')).toBeUndefined();
  });

  it('fails on a dead letter with the wrong reason', async () => {
    const h = new ConsumerHistory();
    audit(h, 'ttl1', 'order.created', 'maxlen');
    const result = await check(h, { expectDeadLetters: [{ id: 'ttl1', queue: 'order.created', reason: 'expired' }] });
    expect(result.valid).toBe(false);
    expect(violation(result, 'wrong-reason')?.examples[0]).toMatchObject({ id: 'ttl1', expected: 'expired', actual: 'maxlen' });
  });

  it('fails when a message died twice in the same queue, but not when the auditor merely replayed its own redelivery', async () => {
    const twice = new ConsumerHistory();
    poison(twice, 'bad1');
    audit(twice, 'bad1');
    audit(twice, 'bad1');
    const result = await check(twice);
    expect(result.valid).toBe(false);
    expect(violation(result, 'duplicate')).toMatchObject({ count: 1, examples: [{ id: 'bad1', queue: Q }] });

    const replay = new ConsumerHistory();
    poison(replay, 'bad1');
    replay.deliver('dead-letter-1', 'bad1', DLQ);
    replay.deadLettered('bad1', Q).disconnected('dead-letter-1'); // recorded, then its connection died before the ack
    audit(replay, 'bad1', Q, 'rejected', true);
    expect((await check(replay)).valid).toBe(true);
  });

  it('fails when a message processed successfully was also dead-lettered without ever being rejected', async () => {
    const h = new ConsumerHistory();
    h.consume('payments-1', 'm1', Q);
    audit(h, 'm1');
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(violation(result, 'processed-and-dead-lettered')?.examples[0]).toMatchObject({ id: 'm1', queue: Q });
    expect(violation(result, 'unexpected')).toBeUndefined();
  });

  it('allows an entry of the best-effort feed handled, then dropped by overflow when its ack was lost with the auditor', async () => {
    const h = new ConsumerHistory();
    const d = h.deliver('dead-letter-1', 'order.audit:o1', 'order.audit');
    h.handled(d).disconnected('dead-letter-1'); // crashed before its ack reached the broker
    audit(h, 'order.audit:o1', 'order.audit', 'maxlen');
    expect((await check(h)).valid).toBe(true);
    // ...but a work queue's handled message that is also dead-lettered still fails.
    const work = new ConsumerHistory();
    work.handled(work.deliver('payments-1', 'm1', Q)).disconnected('payments-1');
    audit(work, 'm1', Q, 'maxlen');
    expect(violation(await check(work), 'processed-and-dead-lettered')).toBeDefined();
  });

  it('allows a message handled, then rejected on a later redelivery, to be dead-lettered', async () => {
    const h = malformed(new ConsumerHistory(), 'm1');
    const d = h.deliver('payments-1', 'm1', Q);
    h.handled(d).disconnected('payments-1');
    h.settle('reject', h.deliver('payments-1', 'm1', Q, { redelivered: true }), false);
    audit(h, 'm1');
    const result = await check(h);
    expect(result.valid).toBe(true);
    expect(result.handledThenRejected).toBe(1);
  });

  it('fails on a dead letter nobody expected, unless told to allow them', async () => {
    const h = new ConsumerHistory();
    audit(h, 'mystery', 'inventory.update', 'maxlen');
    const result = await check(h);
    expect(result.valid).toBe(false);
    expect(violation(result, 'unexpected')?.examples[0]).toMatchObject({ id: 'mystery', queue: 'inventory.update', actual: 'maxlen' });
    // Allowing unexpected dead letters does not make a message meant to be processed die rightly.
    const allowed = await check(h, { allowUnexpected: true });
    expect(allowed.valid).toBe(false);
    expect(violation(allowed, 'unexpected')).toBeUndefined();
    expect(violation(allowed, 'normal-dead-lettered')?.examples[0]).toMatchObject({ id: 'mystery', queue: 'inventory.update' });
  });

  it('is unknown on an empty history', async () => {
    expect((await check(new ConsumerHistory())).valid).toBe('unknown');
  });

  describe("judged by the workload's intent, never by the rejects themselves", () => {
    /** The client's record of an order and what it meant the order to do. */
    const placed = (h: ConsumerHistory, orderId: string, intent: 'normal' | 'poison' | 'expire') =>
      h.add('client', { kind: 'order-request', orderId, outcome: 'ok', intent });

    it('fails when a worker rejects an order meant to be processed (the old checker expected that death from the reject)', async () => {
      const h = new ConsumerHistory();
      placed(h, 'o1', 'normal');
      h.settle('reject', h.deliver('payments-1', 'payment.process:o1', Q), false);
      audit(h, 'payment.process:o1');
      const result = await check(h);
      expect(result.valid).toBe(false);
      expect(violation(result, 'normal-dead-lettered')?.examples[0]).toMatchObject({
        id: 'payment.process:o1',
        queue: Q,
        note: 'order o1 meant to be processed',
      });
    });

    it('passes a poison order dead-lettered after the configured retries, fails one dead-lettered early', async () => {
      const dies = (retries: number) => {
        const h = new ConsumerHistory();
        placed(h, 'o1', 'poison');
        h.publish('orders-1', 'payment.process:o1', 'payments', 'process', 'ok');
        h.settle('reject', h.deliver('payments-1', 'payment.process:o1', Q), false);
        const d = h.deliver('dead-letter-1', 'payment.process:o1', DLQ);
        h.add('dead-letter-1', {
          kind: 'dead-lettered',
          id: 'payment.process:o1',
          orderId: 'o1',
          queue: Q,
          reason: 'rejected',
          count: 1,
          retries,
        })
          .handled(d, true, 'dead-letter-recorded')
          .ack(d);
        return h;
      };
      expect((await check(dies(3))).valid).toBe(true);
      const early = await check(dies(0));
      expect(early.valid).toBe(false);
      expect(violation(early, 'intent-mismatch')?.examples[0]).toMatchObject({
        expected: 'poison: rejected in payment.process after 3 retries',
        actual: 'rejected after 0 retries',
      });
    });

    it('expects a poison payment that landed to die even when no reject was recorded (a retry lost in a crash)', async () => {
      const h = new ConsumerHistory();
      placed(h, 'o1', 'poison');
      h.publish('orders-1', 'payment.process:o1', 'payments', 'process', 'ok');
      const result = await check(h);
      expect(violation(result, 'missing')?.examples[0]).toMatchObject({ id: 'payment.process:o1', queue: Q, expected: 'rejected' });
    });

    it('expects every confirmed copy of an expiring payment to expire, and refuses another reason', async () => {
      const h = new ConsumerHistory();
      placed(h, 'o1', 'expire');
      h.publish('orders-1', 'payment.process:o1', 'payments', 'process', 'ok');
      audit(h, 'payment.process:o1', Q, 'rejected');
      const result = await check(h);
      expect(result.valid).toBe(false);
      expect(violation(result, 'intent-mismatch')?.examples[0]).toMatchObject({
        expected: 'expire: expired in payment.process after 0 retries',
        actual: 'rejected after 0 retries',
      });
    });

    it(
      'expects a malformed message injected into a queue to be dead-lettered there, rejected, ' + 'and fails when it was acked and dropped',
      async () => {
        const dropped = new ConsumerHistory();
        dropped.add('injector', {
          kind: 'publish-attempt',
          id: 'malformed:inventory.update:1',
          orderId: '',
          exchange: '',
          routingKey: 'inventory.update',
          intent: 'malformed',
        });
        dropped.add('injector', { kind: 'publish-result', id: 'malformed:inventory.update:1', orderId: '', outcome: 'ok' });
        dropped.ack(dropped.deliver('inventory-1', 'malformed:inventory.update:1', 'inventory.update'));
        const result = await check(dropped);
        expect(result.valid).toBe(false);
        expect(violation(result, 'missing')?.examples[0]).toMatchObject({
          id: 'malformed:inventory.update:1',
          queue: 'inventory.update',
          expected: 'rejected',
        });
      },
    );
  });

  describe('against the dead-letter store', () => {
    let dir: ReturnType<typeof tempDir>;
    let store: DeadLetterStore;
    beforeEach(() => {
      dir = tempDir('dead-letter-routing');
      store = new DeadLetterStore(dir.path);
    });
    afterEach(() => {
      store.db.close();
      dir.remove();
    });
    const letter = (messageId: string, reason = 'rejected', queue = Q) => ({ messageId, queue, reason, count: 1, body: '{}' });
    const history = () => audit(poison(new ConsumerHistory(), 'bad1'), 'bad1');

    it('agrees when every dead letter of the history has its row', async () => {
      store.recordOnce(letter('bad1'));
      const result = await check(history(), {}, dir.path);
      expect(result.valid).toBe(true);
      expect(result.store).toMatchObject({ status: 'checked', rows: 1, perReason: { rejected: { events: 1, store: 1 } } });
      expect(result.summary).toMatch(/store agrees/);
    });

    it('fails when a dead letter of the history has no row', async () => {
      const result = await check(history(), {}, dir.path);
      expect(result.valid).toBe(false);
      expect(violation(result, 'store-mismatch')?.examples[0]).toMatchObject({ id: 'bad1', note: expect.stringMatching(/no row/) });
    });

    it('fails when the store holds a dead letter the history never saw, or another reason', async () => {
      store.recordOnce(letter('bad1', 'expired'));
      store.recordOnce(letter('ghost'));
      const result = await check(history(), {}, dir.path);
      expect(result.valid).toBe(false);
      expect(violation(result, 'store-mismatch')?.count).toBe(2);
      expect(result.store).toMatchObject({ perReason: { rejected: { events: 1, store: 1 }, expired: { events: 0, store: 1 } } });
    });
  });
});
