import { describe, expect, it } from 'vitest';
import { acceptedOrderIds, drainProcessed } from '../../../harness/runner/processed-drain.ts';
import type { HistoryEvent } from '../../../instrument/history-event.ts';

// The black-box drain against a scripted readback: each call returns the next list (the last one repeats).
function scripted(...answers: (readonly string[] | Error)[]): { read: () => Promise<readonly string[]>; calls: () => number } {
  let n = 0;
  return {
    read: async () => {
      const answer = answers[Math.min(n++, answers.length - 1)]!;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    calls: () => n,
  };
}

const timing = { pollMs: 5, stallMs: 100 };
const live = () => new AbortController().signal;

describe('drainProcessed', () => {
  it('waits until every accepted id is visible, whatever else shows up', async () => {
    const readback = scripted(['a'], ['a', 'x'], ['a', 'x', 'b']);
    const result = await drainProcessed(readback.read, ['a', 'b'], 10, live(), timing);
    expect(result).toMatchObject({ drained: true, stalled: false, pending: { orders: 0, messages: 0 } });
    expect(readback.calls()).toBe(3);
  });

  it('goes by id, not by count: as many visible as accepted is not drained', async () => {
    const result = await drainProcessed(scripted(['a', 'x']).read, ['a', 'b'], 10, live(), timing);
    expect(result).toMatchObject({ drained: false, stalled: true, pending: { orders: 1 } });
  });

  it('gives up as stalled once nothing new became visible for a while, naming how many are missing', async () => {
    const result = await drainProcessed(scripted([], ['a']).read, ['a', 'b', 'c'], 10, live(), timing);
    expect(result).toMatchObject({ drained: false, stalled: true, pending: { orders: 2 } });
    expect(result.seconds).toBeGreaterThanOrEqual(0.1);
  });

  it('counts an unanswered readback as no progress, and drains once it answers', async () => {
    const readback = scripted(new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), ['a']);
    expect(await drainProcessed(readback.read, ['a'], 10, live(), timing)).toMatchObject({ drained: true });
    const dead = await drainProcessed(scripted(new Error('down')).read, ['a'], 10, live(), timing);
    expect(dead).toMatchObject({ drained: false, stalled: true, pending: { orders: 1 } });
  });

  it('stops at the timeout while ids still arrive, and at once when aborted', async () => {
    let n = 0;
    const growing = async () => Array.from({ length: ++n }, (_, i) => `x${i}`);
    const timedOut = await drainProcessed(growing, ['a'], 0.05, live(), timing);
    expect(timedOut).toMatchObject({ drained: false, stalled: false });
    const aborted = new AbortController();
    aborted.abort();
    expect(await drainProcessed(growing, ['a'], 10, aborted.signal, timing)).toMatchObject({ drained: false, stalled: false });
  });

  it('reads the accepted ids again on every poll when given a function', async () => {
    // Read once, the ids would say drained at the second poll; 'b' was accepted meanwhile.
    const readback = scripted([], ['a'], ['a', 'b']);
    const accepted = () => (readback.calls() === 0 ? ['a'] : ['a', 'b']);
    expect(await drainProcessed(readback.read, accepted, 10, live(), timing)).toMatchObject({ drained: true });
    expect(readback.calls()).toBe(3);
  });
});

describe('acceptedOrderIds', () => {
  it('takes every id with an ok answer to any attempt, once', () => {
    const request = (orderId: string, outcome: 'ok' | 'fail' | 'info'): HistoryEvent => ({
      t: 1,
      proc: 'client',
      kind: 'order-request',
      orderId,
      outcome,
    });
    const events = [
      request('a', 'info'),
      request('a', 'ok'),
      request('b', 'fail'),
      request('c', 'ok'),
      request('c', 'ok'),
      request('d', 'info'),
    ];
    expect([...acceptedOrderIds(events)].sort()).toEqual(['a', 'c']);
  });
});
