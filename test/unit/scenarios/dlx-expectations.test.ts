import { describe, expect, it } from 'vitest';
import { orderMarker, type OrderMix } from '../../../load/order-body.ts';
import { expectedDeadLetters } from '../../../scenarios/dlx.ts';
import { ConsumerHistory } from '../checkers/consumer-history.ts';

const SEED = 4;
const MIX: OrderMix = { poison: 0.3, flash: 0.3 };

/** The first order index carrying `marker` (or none) under MIX. */
function indexOf(marker: 'poison' | 'flash' | undefined): number {
  for (let i = 0; ; i++) if (orderMarker(SEED, i, MIX) === marker) return i;
}

function payment(h: ConsumerHistory, i: number, outcome: 'ok' | 'info' = 'ok', times = 1): string {
  const id = `payment.process:order-${SEED}-${i}`;
  for (let k = 0; k < times; k++) h.publish('orders-1', id, 'payments', 'process', outcome, `order-${SEED}-${i}`);
  return id;
}

describe('dlx: the deaths the workload calls for', () => {
  it('expects one expired death per confirmed copy of a flash payment, and nothing for a plain one', () => {
    const h = new ConsumerHistory();
    const flash = payment(h, indexOf('flash'), 'ok', 2);
    payment(h, indexOf(undefined));
    expect(expectedDeadLetters(h.events, SEED, MIX)).toEqual([
      { id: flash, queue: 'payment.process', reason: 'expired' },
      { id: flash, queue: 'payment.process', reason: 'expired' },
    ]);
  });

  it('expects a poison payment to be rejected only when the history does not already show its reject', () => {
    const h = new ConsumerHistory();
    const poison = payment(h, indexOf('poison'));
    // Retry copies through the default exchange do not count as copies of their own.
    h.publish('payments-1', poison, '', 'payment.process.retry.1', 'ok');
    expect(expectedDeadLetters(h.events, SEED, MIX)).toEqual([{ id: poison, queue: 'payment.process', reason: 'rejected' }]);
    h.settle('reject', h.deliver('payments-1', poison, 'payment.process'), false);
    expect(expectedDeadLetters(h.events, SEED, MIX)).toEqual([]);
  });

  it('expects every audit entry the auditor never handled to have overflowed, and ignores what never reached the broker', () => {
    const h = new ConsumerHistory();
    h.publish('orders-1', 'order.audit:a', 'orders', 'order.audited', 'ok');
    h.publish('orders-1', 'order.audit:b', 'orders', 'order.audited', 'ok');
    h.handled(h.deliver('dead-letter-1', 'order.audit:b', 'order.audit'));
    h.publish('orders-1', 'order.audit:c', 'orders', 'order.audited', 'fail');
    payment(h, indexOf('flash'), 'info');
    expect(expectedDeadLetters(h.events, SEED, MIX)).toEqual([{ id: 'order.audit:a', queue: 'order.audit', reason: 'maxlen' }]);
  });
});
