import { describe, expect, it } from 'vitest';
import { CONFIG_ENV, DEFAULT_CONCURRENCY, DEFAULT_PREFETCH, parseConfig } from '../../../system/config.ts';
import { referenceProcesses } from '../../../system/target/reference-processes.ts';
import { resolveSystemSpec } from '../../../system/target/system-spec.ts';

const CONTEXT = {
  runDir: '/tmp/run',
  historyDir: '/tmp/run/history',
  dataDir: '/tmp/run/data',
  endpoints: { publishUrl: 'amqp://u:p@127.0.0.1:1001', consumeUrl: 'amqp://u:p@127.0.0.1:1002', directUrl: 'amqp://u:p@127.0.0.1:1000' },
  flaws: [],
  settings: {},
};

async function capacities(settings: Record<string, unknown>): Promise<Record<string, { prefetch: number; concurrency: number }>> {
  const spec = resolveSystemSpec(settings, []);
  const specs = await referenceProcesses(
    CONTEXT,
    spec,
    Array.from({ length: 20 }, (_, k) => 5000 + k),
  );
  return Object.fromEntries(
    specs.map((s) => {
      const c = parseConfig(s.env[CONFIG_ENV]);
      return [c.instance, { prefetch: c.prefetch, concurrency: c.concurrency }];
    }),
  );
}

describe('worker capacity settings', () => {
  it('keeps prefetch 20 = 20 work slots for every worker by default', async () => {
    for (const c of Object.values(await capacities({})))
      expect(c).toEqual({ prefetch: DEFAULT_PREFETCH, concurrency: DEFAULT_CONCURRENCY });
  });

  it('gives a role more work slots, and the same prefetch, so its consumers never hold a delivery they cannot start on', async () => {
    const c = await capacities({ concurrency: { payments: 50 } });
    expect(c['payments-1']).toEqual({ prefetch: 50, concurrency: 50 });
    expect(c['payments-2']).toEqual({ prefetch: 50, concurrency: 50 });
    expect(c['inventory-1']).toEqual({ prefetch: DEFAULT_PREFETCH, concurrency: DEFAULT_CONCURRENCY });
  });

  it('lets one prefetch for every consumer win over a role concurrency (a scenario that sets prefetch means it)', async () => {
    expect((await capacities({ prefetch: 10, concurrency: { payments: 50 } }))['payments-1']).toEqual({ prefetch: 10, concurrency: 50 });
  });

  it('merges instances per role and refuses an unknown key', async () => {
    expect(resolveSystemSpec({ instances: { orders: 1 } }, []).instances).toMatchObject({ orders: 1, payments: 2 });
    expect(() => resolveSystemSpec({ concurency: {} }, [])).toThrow(/unknown reference system setting "concurency"/);
  });
});
