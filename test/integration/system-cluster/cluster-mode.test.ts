import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartedRabbitCluster } from '../../../harness/env/rabbitmq-cluster.ts';
import { StartedProcesses } from '../../../harness/target/started-processes.ts';
import type { TargetStartContext } from '../../../harness/target/target.ts';
import type { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import type { HistoryRecord, HistoryWriter } from '../../../instrument/index.ts';
import { openManagedConnection } from '../../../system/amqp/managed-connection.ts';
import { Publisher } from '../../../system/amqp/publisher.ts';
import { topologyOptions } from '../../../system/amqp/publishing.ts';
import { assertTopology, QUEUES, queueDeclarations } from '../../../system/amqp/topology.ts';
import { parseConfig } from '../../../system/config.ts';
import type { FlawName } from '../../../system/flaws.ts';
import reference from '../../../system/target.ts';
import { tempDir } from '../../support/temp-dir.ts';

// Does the reference system's cluster mode hold on a real three-node RabbitMQ 3.10 cluster? Every
// queue it declares there is accepted as a quorum queue with the arguments it asked for (and
// dead-letters at least once where it asked to); a managed connection given every node fails over
// when its node is SIGKILLed and its publishes are confirmed on another node again within a second,
// to stay confirmed, while a `single-node-client` one stays disconnected until its node is back;
// and the whole system, every process failing over, completes orders before and after the kill.
const dir = tempDir('system-cluster');
let cluster: StartedRabbitCluster | undefined;
/** Connections a test opened, closed after the last test whatever happened. */
const connections: { close(): Promise<unknown> }[] = [];
let system: StartedProcesses | undefined;
afterAll(async () => {
  await system?.stop();
  await Promise.all(connections.map((c) => c.close().catch(() => {})));
  await cluster?.dispose();
  dir.remove();
});

const FAILOVER_MS = 10_000;
const CONFIRM_MS = 20_000;
/** How long the single-node client is watched staying down while its node is dead. */
const STAYS_DOWN_MS = 5_000;
const PROBE_QUEUE = 'failover-probe';
const PUBLISH_EVERY_MS = 50;
const CONFIRMS_IN_A_ROW = 10;
const QUORUM = { durableQueues: true, deadLetterExchange: true, queueType: 'quorum' } as const;
const ORDER_DONE_MS = 30_000;

async function management<T>(node: StartedRabbitNode, path: string): Promise<T> {
  const response = await fetch(node.managementUrl + path, {
    headers: { authorization: `Basic ${Buffer.from(`${node.user}:${node.password}`).toString('base64')}` },
    signal: AbortSignal.timeout(5_000),
  });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

async function until<T>(what: string, timeoutMs: number, test: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await test();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/**
 * A managed connection to every node, recording its lifecycle events, publishing through the
 * system's Publisher as a process of the system does on a cluster (startPublishing): the topology
 * declared on every connect, a fresh channel after a nack.
 */
async function managedPublisher(nodes: readonly StartedRabbitNode[], flaws: FlawName[]) {
  const events: { at: number; event: string; detail: string }[] = [];
  const history = {
    append: (e: HistoryRecord) => {
      if (e.kind === 'lifecycle') events.push({ at: Date.now(), event: e.event, detail: e.detail ?? '' });
    },
  } as unknown as HistoryWriter;
  const publisher = new Publisher({ history, confirms: true, persistent: true, confirmTimeoutMs: 5_000, renewChannelOnNack: true });
  const connection = await openManagedConnection({
    url: nodes.map((n) => n.amqpUrl()),
    name: `${flaws.join(',') || 'reference'} publish`,
    heartbeatSeconds: 5,
    history,
    flaws,
    setup: (model) => publisher.attach(model, QUORUM),
    onDisconnect: () => publisher.detach(),
  });
  connections.push(connection);
  return { events, publisher, connected: () => events.filter((e) => e.event === 'connected') };
}

const address = (node: StartedRabbitNode) => `${node.host}:${node.amqpPort}`;

/**
 * How each quorum queue really dead-letters, from its Raft state machine's configuration on `node`:
 * RabbitMQ 3.10 accepts `x-dead-letter-strategy: at-least-once` with any overflow, but honours it
 * only with `reject-publish` (otherwise it falls back to at most once without a word), so the
 * arguments alone do not prove it. (Reads rabbit_fifo's config tuple: RabbitMQ internals.)
 */
async function deadLetterStrategies(node: StartedRabbitNode, queues: readonly string[]): Promise<Map<string, string>> {
  const names = queues.map((q) => `<<"${q}">>`).join(',');
  const out = await node.ctl(
    'eval',
    `[begin {ok, {_, Cfg}, _} = ra:local_query({binary_to_atom(<<"%2F_", Q/binary>>), node()}, fun(S) -> element(2, S) end), ` +
      `L = tuple_to_list(Cfg), ` +
      `{Q, case {lists:member(at_least_once, L), [x || {at_most_once, _} <- L]} of {true, _} -> at_least_once; {false, []} -> none; _ -> at_most_once end} ` +
      `end || Q <- [${names}]].`,
  );
  return new Map([...out.matchAll(/\{<<"([^"]+)">>,\s*(\w+)\}/g)].map((m) => [m[1]!, m[2]!]));
}

describe.skipIf(process.getuid?.() !== 0)('the reference system on a three-node cluster', () => {
  beforeAll(async () => {
    cluster = await StartedRabbitCluster.start({ dir: dir.path });
    console.log(`cluster formed in ${cluster.formationSeconds} s`);
  });

  it('declares every queue as a quorum queue with the arguments it asked for, and dead-letters through them', async () => {
    const [n1] = cluster!.nodes as [StartedRabbitNode];
    const options = topologyOptions(
      parseConfig(
        JSON.stringify({
          role: 'payments',
          instance: 'payments-1',
          publishUrl: n1.amqpUrl(),
          consumeUrl: n1.amqpUrl(),
          dataDir: dir.path,
          historyFile: `${dir.path}/h.jsonl`,
          cluster: true,
        }),
      ),
    );
    expect(options).toEqual(QUORUM);

    const connection = await amqp.connect(n1.amqpUrl());
    try {
      const channel = await connection.createConfirmChannel();
      await assertTopology(channel, options);
      // Declared again, as every process does on every connect: the broker must find it equivalent.
      await assertTopology(channel, options);

      type Row = { name: string; type: string; durable: boolean; arguments: Record<string, unknown>; members?: string[] };
      const rows = new Map((await management<Row[]>(n1, '/api/queues/%2F')).map((r) => [r.name, r]));
      const declared = queueDeclarations(options);
      expect(declared.length).toBeGreaterThan(20);
      for (const { queue, options: asked } of declared) {
        const row = rows.get(queue);
        expect(row, queue).toBeDefined();
        expect({ queue, type: row!.type, durable: row!.durable, arguments: row!.arguments }).toEqual({
          queue,
          type: 'quorum',
          durable: true,
          arguments: asked.arguments,
        });
        expect(row!.members?.slice().sort(), queue).toEqual(cluster!.nodes.map((n) => n.nodeName).sort());
      }

      const strategies = await deadLetterStrategies(
        n1,
        declared.map((d) => d.queue),
      );
      for (const { queue, options: asked } of declared) {
        const args = asked.arguments;
        const expected = !('x-dead-letter-exchange' in args)
          ? 'none'
          : args['x-dead-letter-strategy'] === 'at-least-once' && args['x-overflow'] === 'reject-publish'
            ? 'at_least_once'
            : 'at_most_once';
        expect({ queue, strategy: strategies.get(queue) }).toEqual({ queue, strategy: expected });
      }
      expect(strategies.get(QUEUES.paymentProcess)).toBe('at_least_once');
      expect(strategies.get(QUEUES.orderAudit)).toBe('at_most_once');

      // A rejected message and one requeued past its expiration both reach the dead-letter queue.
      channel.sendToQueue(QUEUES.paymentProcess, Buffer.from('{}'), { persistent: true, messageId: 'rejected-1' });
      channel.sendToQueue(QUEUES.paymentProcess, Buffer.from('{}'), { persistent: true, messageId: 'expired-1', expiration: '300' });
      await channel.waitForConfirms();
      const consumer = await connection.createChannel();
      await consumer.prefetch(10, false);
      await consumer.consume(QUEUES.paymentProcess, (msg) => {
        if (!msg) return;
        if (msg.properties.messageId === 'rejected-1') consumer.reject(msg, false);
        else setTimeout(() => consumer.nack(msg, false, true), 600);
      });
      const reasons = new Map<string, string>();
      await until('both dead letters arrive', 10_000, async () => {
        const msg = await channel.get(QUEUES.deadLetter, { noAck: true });
        if (msg) {
          const deaths = msg.properties.headers?.['x-death'] as { reason: string }[] | undefined;
          reasons.set(String(msg.properties.messageId), deaths?.[0]?.reason ?? '?');
        }
        return reasons.size === 2 ? true : undefined;
      });
      expect(Object.fromEntries(reasons)).toEqual({ 'rejected-1': 'rejected', 'expired-1': 'expired' });
    } finally {
      await connection.close().catch(() => {});
    }
  });

  it('fails over to another node when its node is killed and publishes with confirms there; single-node-client waits for its node', async () => {
    const [n1, n2, n3] = cluster!.nodes as [StartedRabbitNode, StartedRabbitNode, StartedRabbitNode];
    const declaring = await amqp.connect(n1.amqpUrl());
    await (await declaring.createChannel()).assertQueue(PROBE_QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await declaring.close();
    const reference = await managedPublisher(cluster!.nodes, []);
    const single = await managedPublisher(cluster!.nodes, ['single-node-client']);
    // Both start at the first node.
    expect(reference.connected().map((e) => e.detail)).toEqual([`reference publish: ${address(n1)} (node 1 of 3)`]);
    expect(single.connected().map((e) => e.detail)).toEqual([`single-node-client publish: ${address(n1)}`]);

    // Publishing all along, as the API does under load: some publishes land while the queues elect
    // leaders in place of node 1's, and are refused (503s for the API), but never for long.
    const results: { at: number; outcome: string }[] = [];
    let publishing = true;
    const loop = (async () => {
      for (let k = 0; publishing; k++) {
        const { outcome } = await reference.publisher.publish({
          exchange: '',
          routingKey: PROBE_QUEUE,
          messageId: `probe-${k}`,
          orderId: `probe-${k}`,
          body: { k },
        });
        results.push({ at: Date.now(), outcome });
        await new Promise((r) => setTimeout(r, PUBLISH_EVERY_MS));
      }
    })();
    const confirmed = (channel: ConfirmChannel) =>
      new Promise<boolean>((resolve) => channel.sendToQueue(PROBE_QUEUE, Buffer.from('raw'), { persistent: true }, (err) => resolve(!err)));
    let stale: ChannelModel | undefined;
    let staleChannel: ConfirmChannel | undefined;
    let staleFirst = true;
    let killedAt = 0;
    let failedOverAt = 0;
    const after = () => results.filter((r) => r.at > failedOverAt);
    try {
      await until('a first confirm on node 1', CONFIRM_MS, () => (results.some((r) => r.outcome === 'ok') ? true : undefined));
      killedAt = Date.now();
      await n1.kill();
      // A raw channel on node 2 whose first publish comes while the probe queue elects a leader.
      stale = await amqp.connect(n2.amqpUrl());
      stale.on('error', () => {});
      connections.push(stale);
      staleChannel = await stale.createConfirmChannel();
      staleFirst = await confirmed(staleChannel);
      const failedOver = await until('the reference connection reaches another node', FAILOVER_MS, () => reference.connected()[1]);
      failedOverAt = failedOver.at;
      console.log(`failed over in ${((failedOver.at - killedAt) / 1000).toFixed(1)} s: ${failedOver.detail}`);
      expect([address(n2), address(n3)].some((a) => failedOver.detail.includes(a))).toBe(true);
      expect(failedOver.detail).not.toContain(address(n1));
      await until(`${CONFIRMS_IN_A_ROW} publishes in a row confirmed on the new node`, CONFIRM_MS, () => {
        const latest = after().slice(-CONFIRMS_IN_A_ROW);
        return latest.length === CONFIRMS_IN_A_ROW && latest.every((r) => r.outcome === 'ok') ? true : undefined;
      });
    } finally {
      publishing = false;
      await loop;
    }
    const refused = after().filter((r) => r.outcome !== 'ok');
    const firstOk = after().find((r) => r.outcome === 'ok')!;
    console.log(
      `after the failover: ${refused.length} of ${after().length} publishes refused or in doubt, ` +
        `the first confirm ${((firstOk.at - killedAt) / 1000).toFixed(1)} s after the kill`,
    );
    // Once confirmed again, always confirmed (a channel nacked during the election does not stay in use).
    expect(after().filter((r) => r.at > firstOk.at && r.outcome !== 'ok')).toEqual([]);
    // Why the Publisher renews its channel after a nack: a channel nacked during the election may
    // stay nacked for that queue (RabbitMQ 3.10), a fresh one on the same connection is confirmed.
    const staleLater = await confirmed(staleChannel!);
    const fresh = await confirmed(await stale!.createConfirmChannel());
    console.log(
      `raw channel: first publish during the election ${staleFirst ? 'confirmed' : 'nacked'}, ` +
        `the same channel now ${staleLater ? 'confirmed' : 'nacked'}, a fresh channel ${fresh ? 'confirmed' : 'nacked'}`,
    );
    expect(fresh).toBe(true);

    // The single-node client kept trying node 1 alone, and stayed down.
    const downFor = STAYS_DOWN_MS - (Date.now() - killedAt);
    if (downFor > 0) await new Promise((r) => setTimeout(r, downFor));
    expect(single.connected()).toHaveLength(1);
    const tries = single.events.filter((e) => e.event === 'disconnected');
    expect(tries.length).toBeGreaterThan(1);
    for (const e of tries) expect(e.detail).toContain(address(n1));

    const restartedAt = Date.now();
    await n1.start();
    const back = await until('the single-node client reconnects to node 1', FAILOVER_MS, () => single.connected()[1]);
    console.log(`single-node-client back ${((back.at - restartedAt) / 1000).toFixed(1)} s after node 1's restart began`);
    expect(back.detail).toBe(`single-node-client publish: ${address(n1)}`);
  });

  it('runs the whole reference system on the cluster: orders complete before and after the node every process was connected to is killed', async () => {
    const [n1, n2, n3] = cluster!.nodes as [StartedRabbitNode, StartedRabbitNode, StartedRabbitNode];
    // Whatever the test before left down comes back first.
    for (const node of cluster!.nodes) if (!node.running) await node.start();
    await cluster!.waitUntilFormed(60_000);
    const runDir = join(dir.path, 'system');
    const urls = cluster!.nodes.map((n) => n.amqpUrl());
    const context: TargetStartContext = {
      runDir,
      historyDir: join(runDir, 'history'),
      dataDir: join(runDir, 'data'),
      endpoints: { publishUrl: urls[0]!, consumeUrl: urls[0]!, directUrl: urls[0]!, publishUrls: urls, consumeUrls: urls },
      cluster: { nodes: 3 },
      flaws: [],
      settings: reference.resolveSettings!({ instances: { orders: 1, payments: 1, inventory: 1, notifications: 1, 'dead-letter': 1 } }),
    };
    system = await StartedProcesses.start(runDir, await reference.processes(context));
    const apiUrl = reference.started(context, system.readyInfo()).apiUrl;
    const connected = () =>
      readdirSync(context.historyDir).flatMap((file) =>
        readFileSync(join(context.historyDir, file), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as { kind: string; event?: string; detail?: string })
          .filter((e) => e.kind === 'lifecycle' && e.event === 'connected')
          .map((e) => e.detail!),
      );
    const order = async (id: string) => {
      // A 503 (not taken: e.g. nacked while a queue elects a new leader) is retried with the same body, as clients do.
      let refused = 0;
      await until(`order ${id} accepted`, ORDER_DONE_MS, async () => {
        const response = await fetch(`${apiUrl}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id, userId: 'u1', items: [{ productId: 'p-2', quantity: 1, price: 3 }] }),
        });
        await response.body?.cancel();
        if (response.status === 202) return true;
        expect(response.status, `order ${id}`).toBe(503);
        refused++;
        await new Promise((r) => setTimeout(r, 250));
        return undefined;
      });
      if (refused) console.log(`order ${id}: ${refused} refused (503) before it was accepted`);
      return until(`order ${id} completed`, ORDER_DONE_MS, async () => {
        const body = (await (await fetch(`${apiUrl}/orders/${id}`)).json()) as { status?: string };
        return body.status === 'completed' ? body.status : undefined;
      });
    };

    // Six processes, a publishing and a consuming connection each (the API only publishes), all on node 1 to begin with.
    const before = connected();
    expect(before).toHaveLength(11);
    for (const detail of before) expect(detail).toContain(`${address(n1)} (node 1 of 3)`);
    expect(await order('before-kill')).toBe('completed');

    await n1.kill();
    // Each connection's latest `connected` event (`<instance> <purpose>: <node>`), by connection.
    const latest = () => new Map(connected().map((detail) => [detail.slice(0, detail.indexOf(': ')), detail]));
    const moved = await until('every connection on another node', FAILOVER_MS, () => {
      const now = [...latest().values()];
      return now.length === 11 && now.every((d) => !d.includes(address(n1))) ? now : undefined;
    });
    for (const detail of moved)
      expect(
        [address(n2), address(n3)].some((a) => detail.includes(a)),
        detail,
      ).toBe(true);
    expect(await order('after-kill')).toBe('completed');
  });
});
