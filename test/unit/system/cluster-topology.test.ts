import { describe, expect, it } from 'vitest';
import { parseConfig, type SystemProcessConfigInput } from '../../../system/config.ts';
import type { FlawName } from '../../../system/flaws.ts';
import { topologyOptions } from '../../../system/amqp/publishing.ts';
import {
  assertTopology,
  BINDINGS,
  EXCHANGES,
  queueDeclarations,
  QUEUES,
  RETRY_DELAYS_MS,
  retryQueue,
  TopologyOptionsError,
  WORK_QUEUES,
  type TopologyOptions,
} from '../../../system/amqp/topology.ts';

// Which queues does the system declare, with which arguments, on a single broker and on a cluster?
// A recording channel stands in for amqplib's: the arguments are the whole story (the broker's
// acceptance of them is proven in test/integration/system-cluster/cluster-mode.test.ts).

interface Recorded {
  queues: Map<string, { durable?: boolean; arguments?: Record<string, unknown> }>;
  exchanges: string[];
  bindings: string[];
}

async function declared(options: TopologyOptions): Promise<Recorded> {
  const recorded: Recorded = { queues: new Map(), exchanges: [], bindings: [] };
  await assertTopology(
    {
      assertExchange: async (name: string) => (recorded.exchanges.push(name), { exchange: name }),
      assertQueue: async (queue: string, options?: { durable?: boolean; arguments?: Record<string, unknown> }) => {
        expect(recorded.queues.has(queue), `${queue} declared twice`).toBe(false);
        recorded.queues.set(queue, options ?? {});
        return { queue, messageCount: 0, consumerCount: 0 };
      },
      bindQueue: async (queue: string, exchange: string, pattern: string) => (
        recorded.bindings.push(`${exchange}/${pattern}->${queue}`),
        {}
      ),
    },
    options,
  );
  return recorded;
}

const REFERENCE = { durableQueues: true, deadLetterExchange: true } as const;
const ALL_QUEUES = [...WORK_QUEUES.flatMap((q) => [q, ...RETRY_DELAYS_MS.map((_, k) => retryQueue(q, k + 1))]), QUEUES.deadLetter];
const TO_DLX = { 'x-dead-letter-exchange': EXCHANGES.deadLetter.name, 'x-dead-letter-routing-key': 'dead-letter' };
const AT_LEAST_ONCE = { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' };
const STANDARD_WORK_QUEUES = WORK_QUEUES.filter((q) => q !== QUEUES.orderAudit);

function config(over: Partial<SystemProcessConfigInput> = {}, flaws: FlawName[] = []) {
  return parseConfig(
    JSON.stringify({
      role: 'payments',
      instance: 'payments-1',
      publishUrl: 'amqp://u:p@127.0.0.1:1001',
      consumeUrl: 'amqp://u:p@127.0.0.1:2001',
      dataDir: '/tmp/data',
      historyFile: '/tmp/h.jsonl',
      flaws,
      ...over,
    }),
  );
}

describe('the topology on a single broker', () => {
  it('declares classic durable queues, no queue type, work queues dead-lettering into the DLX, delay queues back into their work queue', async () => {
    const { queues, exchanges, bindings } = await declared(REFERENCE);
    expect([...queues.keys()]).toEqual(ALL_QUEUES);
    expect(exchanges).toEqual(Object.values(EXCHANGES).map((e) => e.name));
    expect(bindings).toHaveLength(BINDINGS.length);
    for (const q of STANDARD_WORK_QUEUES) expect(queues.get(q)).toEqual({ durable: true, arguments: TO_DLX });
    expect(queues.get(QUEUES.orderAudit)).toEqual({
      durable: true,
      arguments: { ...TO_DLX, 'x-max-length': 200, 'x-overflow': 'drop-head' },
    });
    expect(queues.get('payment.process.retry.2')).toEqual({
      durable: true,
      arguments: { 'x-message-ttl': RETRY_DELAYS_MS[1], 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'payment.process' },
    });
    expect(queues.get(QUEUES.deadLetter)).toEqual({ durable: true, arguments: {} });
    for (const [, o] of queues) expect(o.arguments?.['x-queue-type']).toBeUndefined();
  });

  it('is what the system declares without a cluster, whatever the flaws', () => {
    expect(topologyOptions(config())).toEqual({ ...REFERENCE, queueType: 'classic' });
    expect(topologyOptions(config({}, ['classic-in-cluster']))).toEqual({ ...REFERENCE, queueType: 'classic' });
    expect(topologyOptions(config({}, ['single-node-client']))).toEqual({ ...REFERENCE, queueType: 'classic' });
  });
});

describe('the topology on a cluster', () => {
  const QUORUM = { ...REFERENCE, queueType: 'quorum' } as const;

  it('makes every queue a durable quorum queue', async () => {
    const { queues } = await declared(QUORUM);
    expect([...queues.keys()]).toEqual(ALL_QUEUES);
    for (const [name, o] of queues) {
      expect(o.durable, name).toBe(true);
      expect(o.arguments?.['x-queue-type'], name).toBe('quorum');
    }
    expect(queues.get(QUEUES.deadLetter)).toEqual({ durable: true, arguments: { 'x-queue-type': 'quorum' } });
  });

  it('dead-letters work queues at least once (with reject-publish, which at-least-once needs)', async () => {
    const { queues } = await declared(QUORUM);
    for (const q of STANDARD_WORK_QUEUES)
      expect(queues.get(q)).toEqual({ durable: true, arguments: { 'x-queue-type': 'quorum', ...TO_DLX, ...AT_LEAST_ONCE } });
  });

  it('keeps the delay queues TTL and sends them back into their work queue at least once', async () => {
    const { queues } = await declared(QUORUM);
    for (const q of WORK_QUEUES)
      for (const [k, ttl] of RETRY_DELAYS_MS.entries())
        expect(queues.get(retryQueue(q, k + 1))).toEqual({
          durable: true,
          arguments: {
            'x-queue-type': 'quorum',
            'x-message-ttl': ttl,
            'x-dead-letter-exchange': '',
            'x-dead-letter-routing-key': q,
            ...AT_LEAST_ONCE,
          },
        });
  });

  it('keeps the best-effort audit feed bounded with drop-head, dead-lettering at most once', async () => {
    const { queues } = await declared(QUORUM);
    expect(queues.get(QUEUES.orderAudit)).toEqual({
      durable: true,
      arguments: {
        'x-queue-type': 'quorum',
        ...TO_DLX,
        'x-dead-letter-strategy': 'at-most-once',
        'x-max-length': 200,
        'x-overflow': 'drop-head',
      },
    });
  });

  it('with no-dlx, declares quorum work queues without any dead-lettering', async () => {
    const { queues } = await declared({ ...QUORUM, deadLetterExchange: false });
    for (const q of STANDARD_WORK_QUEUES) expect(queues.get(q)).toEqual({ durable: true, arguments: { 'x-queue-type': 'quorum' } });
    expect(queues.get(QUEUES.orderAudit)!.arguments).toEqual({ 'x-queue-type': 'quorum', 'x-max-length': 200, 'x-overflow': 'drop-head' });
  });

  it('is what the system declares with cluster set; classic-in-cluster keeps classic durable queues; transient keeps classic non-durable ones', () => {
    expect(topologyOptions(config({ cluster: true }))).toEqual(QUORUM);
    expect(topologyOptions(config({ cluster: true }, ['single-node-client']))).toEqual(QUORUM);
    expect(topologyOptions(config({ cluster: true }, ['no-dlx']))).toEqual({ ...QUORUM, deadLetterExchange: false });
    expect(topologyOptions(config({ cluster: true }, ['classic-in-cluster']))).toEqual({ ...REFERENCE, queueType: 'classic' });
    expect(topologyOptions(config({ cluster: true }, ['transient']))).toEqual({
      durableQueues: false,
      deadLetterExchange: true,
      queueType: 'classic',
    });
  });

  it('refuses a non-durable quorum queue (RabbitMQ would: quorum queues are always durable)', () => {
    expect(() => queueDeclarations({ ...QUORUM, durableQueues: false })).toThrow(TopologyOptionsError);
  });
});
