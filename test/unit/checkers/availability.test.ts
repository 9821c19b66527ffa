import { describe, expect, it } from 'vitest';
import { availabilityCheck, LOSES_ONE_NODE, type FaultAvailability } from '../../../harness/checkers/availability.ts';
import type { HistoryEvent, Outcome } from '../../../instrument/history-event.ts';

const RATE = 20;

/** A fault with the given traits, in effect at `inEffect`, healing from `healing` (ms); RATE first attempts a second for `seconds`. */
function history(
  seconds: number,
  fault: { inEffect: number; healing?: number; traits?: string[] },
  outcome: (sentAt: number) => Outcome,
  retriesOk = false,
): HistoryEvent[] {
  const traits = fault.traits ?? ['crashes-broker', LOSES_ONE_NODE];
  const name = 'node-kill';
  const events: HistoryEvent[] = [
    { t: fault.inEffect - 100, proc: 'harness', kind: 'fault', name, phase: 'start', traits },
    { t: fault.inEffect, proc: 'harness', kind: 'fault', name, phase: 'in-effect', traits },
  ];
  if (fault.healing !== undefined) {
    events.push({ t: fault.healing, proc: 'harness', kind: 'fault', name, phase: 'healing', traits });
    events.push({ t: fault.healing + 5_000, proc: 'harness', kind: 'fault', name, phase: 'stop', traits });
  }
  for (let sent = 0; sent < seconds * 1000; sent += 1000 / RATE) {
    const base = { proc: 'client', kind: 'order-request', orderId: `o${sent}`, latencyMs: 10, intent: 'normal' } as const;
    events.push({ ...base, t: sent + 10, outcome: outcome(sent), attempt: 1 });
    // A retry accepted later must not make the node loss look survived: only first attempts count.
    if (retriesOk && outcome(sent) !== 'ok') events.push({ ...base, t: sent + 2_000, outcome: 'ok', attempt: 2 });
  }
  return events.sort((a, b) => a.t - b.t);
}

const only = (result: ReturnType<typeof availabilityCheck>) => (result.faults as FaultAvailability[])[0]!;

describe('availability check', () => {
  it('passes a system that fails over within the grace and serves the rest of the node loss', () => {
    // Down 5 s to 25 s; refused for 3 s while clients fail over.
    const result = availabilityCheck(
      history(40, { inEffect: 5_000, healing: 25_000 }, (t) => (t >= 5_000 && t < 8_000 ? 'info' : 'ok')),
      { targetRate: RATE },
    );
    expect(result.valid).toBe(true);
    expect(only(result)).toMatchObject({ measuredSeconds: 12, expected: 240, accepted: 240, share: 1 });
  });

  it('fails a system that accepts nothing while the node is gone, even when every retry succeeds after the heal', () => {
    const result = availabilityCheck(
      history(40, { inEffect: 5_000, healing: 25_000 }, (t) => (t >= 5_000 && t < 25_000 ? 'info' : 'ok'), true),
      { targetRate: RATE },
    );
    expect(result.valid).toBe(false);
    expect(result.summary).toMatch(/node-kill: accepted 0 of 240 orders \(0%\)/);
  });

  it('fails a share below the bound and passes one at it', () => {
    // Every other second refused after the grace: 50% accepted.
    const half = (t: number) => (t >= 13_000 && Math.floor(t / 1000) % 2 === 0 ? 'info' : 'ok');
    expect(availabilityCheck(history(40, { inEffect: 5_000, healing: 25_000 }, half), { targetRate: RATE }).valid).toBe(false);
    expect(availabilityCheck(history(40, { inEffect: 5_000, healing: 25_000 }, half), { targetRate: RATE, minShare: 0.5 }).valid).toBe(
      true,
    );
  });

  it('cannot judge without a node-loss fault, a heal, or a window longer than the grace', () => {
    const plain = history(40, { inEffect: 5_000, healing: 25_000, traits: ['crashes-broker'] }, () => 'ok');
    expect(availabilityCheck(plain, { targetRate: RATE }).valid).toBe('unknown');
    expect(availabilityCheck(plain, { targetRate: RATE }).summary).toMatch(/no fault took a cluster node away/);
    expect(
      availabilityCheck(
        history(40, { inEffect: 5_000 }, () => 'ok'),
        { targetRate: RATE },
      ).valid,
    ).toBe('unknown');
    const short = availabilityCheck(
      history(40, { inEffect: 5_000, healing: 15_000 }, () => 'ok'),
      { targetRate: RATE },
    );
    expect(short.valid).toBe('unknown');
    expect(short.summary).toMatch(/less than the 8 s grace plus 3 s/);
  });
});
