import { describe, expect, it } from 'vitest';
import {
  assertWorkload,
  classifyStatus,
  InvalidWorkloadError,
  REFERENCE_WORKLOAD,
  workloadOrder,
  type HttpWorkload,
} from '../../../load/http-workload.ts';
import { markedOrderBody } from '../../../load/order-body.ts';

// How the client reads answers and builds bodies for a workload given as data (a target's).
const ID_ONLY: HttpWorkload = { path: '/v1/orders', body: 'id-only', okStatuses: [200, 202], refusedStatuses: [503, 429] };

describe('classifyStatus', () => {
  it.each([
    [202, undefined, 'ok'],
    [200, undefined, 'ok'],
    [201, undefined, 'info'],
    [503, undefined, 'fail'],
    [429, undefined, 'fail'],
    [400, undefined, 'fail'],
    [500, undefined, 'info'],
    [504, undefined, 'info'],
    [503, { outcome: 'info' }, 'info'],
    [500, { outcome: 'fail' }, 'fail'],
  ])('an id-only workload reads HTTP %i %j as %s', (status, body, outcome) => {
    expect(classifyStatus(ID_ONLY, status, body)).toBe(outcome);
  });

  it('reads the reference API as it always did: 202 ok, 503 as it says, 4xx fail, 500 in doubt', () => {
    expect(classifyStatus(REFERENCE_WORKLOAD, 202, undefined)).toBe('ok');
    expect(classifyStatus(REFERENCE_WORKLOAD, 503, { outcome: 'info' })).toBe('info');
    expect(classifyStatus(REFERENCE_WORKLOAD, 503, { outcome: 'fail' })).toBe('fail');
    expect(classifyStatus(REFERENCE_WORKLOAD, 409, { error: 'conflict' })).toBe('fail');
    expect(classifyStatus(REFERENCE_WORKLOAD, 500, { error: 'boom' })).toBe('info');
  });

  it('without a workload takes any 2xx as accepted (k6 does) and a bare 503 as in doubt', () => {
    expect(classifyStatus(undefined, 201, undefined)).toBe('ok');
    expect(classifyStatus(undefined, 503, undefined)).toBe('info');
    expect(classifyStatus(undefined, 404, undefined)).toBe('fail');
  });
});

describe('workloadOrder', () => {
  it('sends only the id for an id-only workload, the same id the reference body would carry', () => {
    const order = workloadOrder(ID_ONLY, 7, 3);
    expect(order).toEqual({ orderId: 'order-7-3', body: { id: 'order-7-3' }, intent: 'normal' });
  });

  it('sends the seeded, marked reference body otherwise', () => {
    const mix = { poison: 0.5 };
    for (let i = 0; i < 10; i++) {
      const order = workloadOrder(REFERENCE_WORKLOAD, 7, i, mix);
      expect(order.body).toEqual(markedOrderBody(7, i, mix));
      expect(order.intent).toBe(JSON.stringify(order.body).includes('poison-') ? 'poison' : 'normal');
    }
  });
});

describe('assertWorkload', () => {
  it('refuses an order mix with an id-only body, a relative path and no accepted status', () => {
    expect(() => assertWorkload(ID_ONLY, { poison: 0.1 })).toThrow(InvalidWorkloadError);
    expect(() => assertWorkload(ID_ONLY, { poison: 0.1 })).toThrow(/needs the reference-order body; this workload sends id-only/);
    expect(() => assertWorkload(ID_ONLY, { poison: 0 })).not.toThrow();
    expect(() => assertWorkload({ ...ID_ONLY, path: 'orders' }, undefined)).toThrow(/expected a path starting with \//);
    expect(() => assertWorkload({ ...ID_ONLY, okStatuses: [] }, undefined)).toThrow(/expected at least one status/);
  });
});
