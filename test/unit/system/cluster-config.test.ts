import { describe, expect, it } from 'vitest';
import type { TargetStartContext } from '../../../harness/target/target.ts';
import { CONFIG_ENV, ConfigError, parseConfig } from '../../../system/config.ts';
import { FLAW_NAMES } from '../../../system/flaws.ts';
import reference from '../../../system/target.ts';

// Does every process of the reference system learn the cluster's nodes and that it runs on a
// cluster, from what the harness gives the target, and nothing of it on a single broker?

const PUBLISH = ['amqp://u:p@127.0.0.1:1001', 'amqp://u:p@127.0.0.1:1011', 'amqp://u:p@127.0.0.1:1021'];
const CONSUME = ['amqp://u:p@127.0.0.1:2001', 'amqp://u:p@127.0.0.1:2011', 'amqp://u:p@127.0.0.1:2021'];

const BASE = {
  role: 'payments',
  instance: 'payments-1',
  publishUrl: PUBLISH[0],
  consumeUrl: CONSUME[0],
  dataDir: '/tmp/data',
  historyFile: '/tmp/h.jsonl',
};

function context(cluster: boolean, flaws: string[] = []): TargetStartContext {
  return {
    runDir: '/tmp/run',
    historyDir: '/tmp/run/history',
    dataDir: '/tmp/run/data',
    endpoints: {
      publishUrl: PUBLISH[0]!,
      consumeUrl: CONSUME[0]!,
      directUrl: 'amqp://u:p@127.0.0.1:1000',
      ...(cluster ? { publishUrls: PUBLISH, consumeUrls: CONSUME } : {}),
    },
    ...(cluster ? { cluster: { nodes: 3 } } : {}),
    flaws,
    settings: reference.resolveSettings!({}),
  };
}

describe('the cluster fields of a process configuration', () => {
  it('default to a single broker: no node lists, no cluster', () => {
    expect(parseConfig(JSON.stringify(BASE))).toMatchObject({ publishUrls: [], consumeUrls: [], cluster: false });
  });

  it('take every node in order, the first one being publishUrl / consumeUrl', () => {
    const config = parseConfig(JSON.stringify({ ...BASE, publishUrls: PUBLISH, consumeUrls: CONSUME, cluster: true }));
    expect(config).toMatchObject({ publishUrls: PUBLISH, consumeUrls: CONSUME, cluster: true });
  });

  it('refuse a node list that does not start with the main URL, a URL that is not one, and a cluster flag that is not a boolean', () => {
    const parse = (over: Record<string, unknown>) => () => parseConfig(JSON.stringify({ ...BASE, ...over }));
    expect(parse({ publishUrls: [...PUBLISH].reverse() })).toThrow(ConfigError);
    expect(parse({ publishUrls: [...PUBLISH].reverse() })).toThrow(/publishUrls: the first node URL must be publishUrl/);
    expect(parse({ consumeUrls: PUBLISH })).toThrow(/consumeUrls: the first node URL must be consumeUrl/);
    expect(parse({ consumeUrls: [CONSUME[0], 'not a url'] })).toThrow(/consumeUrls\.1/);
    expect(parse({ cluster: 'yes' })).toThrow(/cluster/);
  });

  it('accept the two cluster flaws', () => {
    expect(FLAW_NAMES).toEqual(expect.arrayContaining(['classic-in-cluster', 'single-node-client']));
    expect(parseConfig(JSON.stringify({ ...BASE, flaws: ['classic-in-cluster', 'single-node-client'] })).flaws).toEqual([
      'classic-in-cluster',
      'single-node-client',
    ]);
  });
});

describe('the reference target on a cluster', () => {
  it("passes every process the cluster's node URLs and the cluster flag", async () => {
    const configs = (await reference.processes(context(true))).map((s) => parseConfig(s.env[CONFIG_ENV]));
    expect(configs.length).toBeGreaterThan(1);
    for (const c of configs)
      expect(c).toMatchObject({
        publishUrl: PUBLISH[0],
        consumeUrl: CONSUME[0],
        publishUrls: PUBLISH,
        consumeUrls: CONSUME,
        cluster: true,
      });
  });

  it('passes neither on a single broker', async () => {
    for (const spec of await reference.processes(context(false))) {
      const raw = JSON.parse(spec.env[CONFIG_ENV]!) as Record<string, unknown>;
      expect(raw).not.toHaveProperty('publishUrls');
      expect(raw).not.toHaveProperty('cluster');
      expect(parseConfig(spec.env[CONFIG_ENV])).toMatchObject({ publishUrls: [], consumeUrls: [], cluster: false });
    }
  });

  it('offers the two cluster flaws with their descriptions, and starts with them', async () => {
    expect(reference.flaws['classic-in-cluster']?.description).toMatch(/classic .*non-replicated.*single broker/);
    expect(reference.flaws['single-node-client']?.description).toMatch(/first node .*never fail over/);
    const configs = (await reference.processes(context(true, ['single-node-client']))).map((s) => parseConfig(s.env[CONFIG_ENV]));
    expect(configs.every((c) => c.flaws.includes('single-node-client'))).toBe(true);
  });
});
