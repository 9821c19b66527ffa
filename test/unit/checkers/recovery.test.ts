import { describe, expect, it } from 'vitest';
import { recoveryCheck, type FaultRecovery } from '../../../harness/checkers/recovery.ts';
import type { HistoryEvent, Outcome } from '../../../instrument/history-event.ts';

const RATE = 20;

/**
 * A client sending RATE orders a second from 0 to `seconds`, answered `outcome(sentAt)` after 10 ms,
 * and a fault from `faultAt` to `healAt` (ms).
 */
function history(seconds: number, faultAt: number, healAt: number | undefined, outcome: (sentAt: number) => Outcome): HistoryEvent[] {
  const events: HistoryEvent[] = [{ t: faultAt, proc: 'harness', kind: 'fault', name: 'broker-restart', phase: 'start' }];
  if (healAt !== undefined) events.push({ t: healAt, proc: 'harness', kind: 'fault', name: 'broker-restart', phase: 'stop' });
  for (let sent = 0; sent < seconds * 1000; sent += 1000 / RATE) {
    events.push({
      t: sent + 10,
      proc: 'client',
      kind: 'order-request',
      orderId: `o${sent}`,
      outcome: outcome(sent),
      latencyMs: 10,
      attempt: 1,
      intent: 'normal',
    });
  }
  return events.sort((a, b) => a.t - b.t);
}

const only = (result: ReturnType<typeof recoveryCheck>) => (result.recoveries as FaultRecovery[])[0]!;

describe('recovery check', () => {
  it('measures the unavailability window, errors and the time back to full rate after the heal', () => {
    // Down from 5 s to 9 s; refused until 11 s (reconnecting), then all accepted.
    const result = recoveryCheck(
      history(30, 5_000, 9_000, (t) => (t >= 5_000 && t < 11_000 ? 'info' : 'ok')),
      { targetRate: RATE },
    );
    expect(result.valid).toBe(true);
    const r = only(result);
    expect(r.unavailableSeconds).toBeCloseTo(6, 0);
    expect(r.errors).toBe(120);
    expect(r.backToFullRateSeconds).toBeCloseTo(2, 0);
    expect(r.loadAfterHealSeconds).toBeGreaterThan(20);
  });

  it('fails when the system is not back to full rate within the bound', () => {
    // Half the orders keep failing long after the heal.
    const result = recoveryCheck(
      history(40, 5_000, 9_000, (t) => (t >= 5_000 && Math.round(t / 50) % 2 === 0 ? 'fail' : 'ok')),
      { targetRate: RATE, boundSeconds: 20 },
    );
    expect(result.valid).toBe(false);
    expect(result.summary).toMatch(/broker-restart: not back to 95% of 20\/s within 20 s of the heal/);
  });

  it('is unknown when the load ended before the bound without the system back', () => {
    const result = recoveryCheck(
      history(12, 5_000, 9_000, (t) => (t >= 5_000 ? 'info' : 'ok')),
      { targetRate: RATE, boundSeconds: 20 },
    );
    expect(result.valid).toBe('unknown');
  });

  it('is unknown for a fault that never healed', () => {
    expect(
      recoveryCheck(
        history(30, 5_000, undefined, () => 'ok'),
        { targetRate: RATE },
      ).valid,
    ).toBe('unknown');
  });

  it('counts first attempts only: retries accepted after the heal do not make up for a lower first-attempt rate', () => {
    const events = history(40, 5_000, 9_000, (t) => (t >= 5_000 && Math.round(t / 50) % 2 === 0 ? 'info' : 'ok'));
    for (const e of [...events]) {
      if (e.kind === 'order-request' && e.outcome === 'info') events.push({ ...e, t: e.t + 500, outcome: 'ok', attempt: 2 });
    }
    events.sort((a, b) => a.t - b.t);
    expect(recoveryCheck(events, { targetRate: RATE, boundSeconds: 20 }).valid).toBe(false);
  });
});
