import { describe, expect, it } from 'vitest';
import type { CheckResult } from '../../../harness/checkers/checker.ts';
import { setChecker } from '../../../harness/checkers/set-checker.ts';
import type { FinalReadSummary } from '../../../harness/env/final-read.ts';
import { blackBoxTopology } from '../../../harness/target/black-box-target.ts';
import type { Outcome } from '../../../instrument/history-event.ts';
import { ConsumerHistory, runRecord } from './consumer-history.ts';

// Hand-made histories of a black-box target: the client's answers per order id, what the target
// reads back as processed (repeats kept) and what the harness read back from its queue at the end.
const QUEUE = 'plain-orders';
const COMPLETE_READ: FinalReadSummary = { queues: [{ name: QUEUE, messages: 0 }], messages: 0, complete: true };

function judge(
  h: ConsumerHistory,
  processed: readonly string[] | undefined,
  finalRead: FinalReadSummary | undefined = COMPLETE_READ,
): CheckResult {
  const topology = blackBoxTopology([QUEUE]);
  return setChecker().check(
    runRecord(h.events, { target: 'plain-orders', topology, ...(processed ? { processed } : {}), ...(finalRead ? { finalRead } : {}) }),
  ) as CheckResult;
}

function orders(h: ConsumerHistory, outcome: Outcome, ...ids: string[]): ConsumerHistory {
  for (const id of ids) h.order(id, outcome);
  return h;
}

function readBack(h: ConsumerHistory, ...ids: string[]): ConsumerHistory {
  for (const id of ids) h.add('harness', { kind: 'final-read', id, queue: QUEUE, redelivered: false });
  return h;
}

describe('set checker', () => {
  it('is valid when every accepted order is visible once, with in-doubt and refused orders noted', () => {
    const h = orders(new ConsumerHistory(), 'ok', 'a', 'b');
    orders(h, 'info', 'c', 'd');
    orders(h, 'fail', 'e');
    const result = judge(h, ['a', 'b', 'c']);
    expect(result.valid).toBe(true);
    expect(result).toMatchObject({ accepted: 2, visible: 3, recoveredCount: 1, inDoubt: 2, refused: 1, lostCount: 0 });
    expect(result.summary).toMatch(/all 2 accepted orders visible exactly once; 2 in doubt, 1 recovered, 1 refused/);
  });

  it('names a lost order: accepted, never visible, not in any queue', () => {
    const result = judge(orders(new ConsumerHistory(), 'ok', 'a', 'b', 'c'), ['a', 'c']);
    expect(result.valid).toBe(false);
    expect(result).toMatchObject({ lostCount: 1, lostIds: ['b'], stuckCount: 0 });
    expect(result.summary).toMatch(/1 of 3 accepted orders lost \(b\)/);
  });

  it('names a stuck order: accepted, never processed, still held by the broker at the end', () => {
    const h = readBack(orders(new ConsumerHistory(), 'ok', 'a', 'b'), 'b');
    const result = judge(h, ['a']);
    expect(result.valid).toBe(false);
    expect(result).toMatchObject({ lostCount: 0, stuckCount: 1, stuckIds: ['b'] });
    expect(result.summary).toMatch(/1 accepted orders stuck in the broker, never processed \(b\)/);
  });

  it('counts the order id a read-back message carried, not only its message id', () => {
    const h = orders(new ConsumerHistory(), 'ok', 'a');
    h.add('harness', { kind: 'final-read', id: 'msg-7', orderId: 'a', queue: QUEUE, redelivered: true });
    expect(judge(h, [])).toMatchObject({ valid: false, stuckIds: ['a'], lostCount: 0 });
  });

  it('is not fooled by counts: one lost and one never sent make the same total as a correct run', () => {
    // Three accepted, three visible: a count-based checker says all is well.
    const result = judge(orders(new ConsumerHistory(), 'ok', 'a', 'b', 'c'), ['a', 'b', 'x']);
    expect(result.valid).toBe(false);
    expect(result).toMatchObject({ accepted: 3, visible: 3, lostIds: ['c'], unexpectedIds: ['x'] });
    expect(result.summary).toMatch(/1 of 3 accepted orders lost \(c\); 1 orders visible that were never sent \(x\)/);
  });

  it('fails on an order visible twice: the contract is exactly once', () => {
    const result = judge(orders(new ConsumerHistory(), 'ok', 'a', 'b'), ['a', 'b', 'a']);
    expect(result.valid).toBe(false);
    expect(result).toMatchObject({ duplicatedCount: 1, duplicatedIds: [{ id: 'a', times: 2 }], lostCount: 0 });
    expect(result.summary).toMatch(/1 orders visible more than once \(a x2\)/);
  });

  it('takes an order accepted on a retry as accepted, whatever its first attempt said', () => {
    const h = orders(new ConsumerHistory(), 'fail', 'a');
    orders(h, 'info', 'a');
    orders(h, 'ok', 'a');
    orders(h, 'info', 'a');
    expect(judge(h, [])).toMatchObject({ valid: false, accepted: 1, lostIds: ['a'] });
    expect(judge(h, ['a'])).toMatchObject({ valid: true, accepted: 1, recoveredCount: 0 });
  });

  it('still fails a loss without a complete final read (stuck would fail too), and says so', () => {
    const result = judge(orders(new ConsumerHistory(), 'ok', 'a'), [], { ...COMPLETE_READ, complete: false, error: 'bounded' });
    expect(result.valid).toBe(false);
    expect(result.summary).toMatch(/final read of the queues was incomplete/);
  });

  it('is unknown without a readback, and when nothing was accepted', () => {
    const h = orders(new ConsumerHistory(), 'ok', 'a');
    expect(judge(h, undefined)).toMatchObject({ valid: 'unknown', summary: expect.stringMatching(/read back nothing/) });
    expect(judge(orders(new ConsumerHistory(), 'fail', 'a'), [])).toMatchObject({
      valid: 'unknown',
      summary: expect.stringMatching(/no order was accepted/),
    });
  });
});
