import { describe, expect, it } from 'vitest';
import type { FaultEnv, ProcessInfo } from '../../../chaos/fault.ts';
import { ANY_CONSUMER, NoVictimError, pickVictim } from '../../../chaos/faults/pick-victim.ts';

function envWith(processes: ProcessInfo[], random = () => 0.99): FaultEnv {
  return { processes: { list: () => processes }, random, log: () => {} } as unknown as FaultEnv;
}
const proc = (instance: string, role: string, extra: Partial<ProcessInfo> = {}): ProcessInfo => ({
  instance,
  role,
  running: true,
  paused: false,
  ...extra,
});

describe('pickVictim', () => {
  it('any consumer: every running, unfrozen process but the API, whatever the target calls its stages', () => {
    const env = envWith([
      proc('api-1', 'api'),
      proc('consumer-1', 'orders'),
      proc('consumer-2', 'orders', { paused: true }),
      proc('worker-9', 'billing'),
    ]);
    const seen = new Set([0, 0.3, 0.6, 0.99].map((r) => pickVictim({ ...env, random: () => r }, 'consumer-crash', ANY_CONSUMER).instance));
    expect([...seen].sort()).toEqual(['consumer-1', 'worker-9']);
  });

  it('a named role picks only from it, and no candidate is a named error', () => {
    const env = envWith([proc('api-1', 'api'), proc('payments-1', 'payments'), proc('inventory-1', 'inventory', { running: false })]);
    expect(pickVictim(env, 'consumer-crash', 'payments').instance).toBe('payments-1');
    expect(() => pickVictim(env, 'consumer-crash', 'inventory')).toThrow(NoVictimError);
    expect(() => pickVictim(envWith([proc('api-1', 'api')]), 'consumer-crash', ANY_CONSUMER)).toThrow(/no running, unfrozen consumer/);
  });
});
