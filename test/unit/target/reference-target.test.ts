import { describe, expect, it } from 'vitest';
import { CONFIG_ENV, parseConfig } from '../../../system/config.ts';
import reference from '../../../system/target.ts';
import { DEFAULT_SYSTEM_SPEC } from '../../../system/target/system-spec.ts';

const context = (settings: Record<string, unknown>, flaws: string[] = []) => ({
  runDir: '/tmp/run',
  historyDir: '/tmp/run/history',
  dataDir: '/tmp/run/data',
  endpoints: { publishUrl: 'amqp://u:p@127.0.0.1:1001', consumeUrl: 'amqp://u:p@127.0.0.1:1002', directUrl: 'amqp://u:p@127.0.0.1:1000' },
  flaws,
  settings: reference.resolveSettings!(settings),
});

describe('the reference target', () => {
  it('merges a scenario setting per role over the defaults, and refuses one it does not know', () => {
    const resolved = reference.resolveSettings!({ processingMs: { payments: 300 }, instances: { payments: 3 } });
    expect(resolved['processingMs']).toEqual({ ...DEFAULT_SYSTEM_SPEC.processingMs, payments: 300 });
    expect(resolved['instances']).toEqual({ ...DEFAULT_SYSTEM_SPEC.instances, payments: 3 });
    expect(() => reference.resolveSettings!({ prefetchh: 5 })).toThrow(
      /unknown reference system setting "prefetchh": expected one of instances, prefetch/,
    );
  });

  it('starts the API first, then each worker instance, each with its own config, flaws and distinct fixed port', async () => {
    const specs = await reference.processes(context({ instances: { payments: 3 } }, ['no-confirms']));
    expect(specs[0]!.instance).toBe('api-1');
    expect(specs.filter((s) => s.role === 'payments').map((s) => s.instance)).toEqual(['payments-1', 'payments-2', 'payments-3']);
    const configs = specs.map((s) => parseConfig(s.env[CONFIG_ENV]));
    expect(configs.every((c) => c.flaws.includes('no-confirms'))).toBe(true);
    expect(configs[0]!.httpPort).toBeGreaterThan(0);
    expect(configs.find((c) => c.instance === 'payments-2')).toMatchObject({
      processingMs: 100,
      publishUrl: 'amqp://u:p@127.0.0.1:1001',
      historyFile: '/tmp/run/history/payments-2.jsonl',
    });
    const ports = configs.map((c) => (c.role === 'api' ? c.httpPort : c.metricsPort));
    expect(new Set(ports).size).toBe(specs.length);
  });

  it('refuses a flaw it does not have', async () => {
    await expect(Promise.resolve().then(() => reference.processes(context({}, ['careless'])))).rejects.toThrow(/unknown flaw "careless"/);
  });

  it('offers its API, its metrics by the job the dashboards select, and its effects once started', () => {
    const started = reference.started(
      context({}),
      new Map([
        ['api-1', { httpPort: 4100, metricsPort: 4100 }],
        ['orders-1', { metricsPort: 4101 }],
      ]),
    );
    expect(started.apiUrl).toBe('http://127.0.0.1:4100');
    expect(started.metrics).toEqual({ 'order-system': ['127.0.0.1:4100', '127.0.0.1:4101'] });
    expect(typeof started.readEffects).toBe('function');
  });
});
