import amqp from 'amqplib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('rabbit-node');
let node: StartedRabbitNode;

beforeAll(async () => {
  node = await StartedRabbitNode.start({ dir: dir.path });
});
afterAll(async () => {
  await node?.dispose();
  dir.remove();
});

async function withChannel<T>(fn: (ch: amqp.ConfirmChannel) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(node.amqpUrl());
  try {
    const channel = await connection.createConfirmChannel();
    return await fn(channel);
  } finally {
    await connection.close().catch(() => {});
  }
}

async function depth(queue: string): Promise<number | 'missing'> {
  const connection = await amqp.connect(node.amqpUrl());
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => {});
    return (await channel.checkQueue(queue)).messageCount;
  } catch {
    return 'missing';
  } finally {
    await connection.close().catch(() => {});
  }
}

const nodeLog = (): string => readFileSync(join(dir.path, 'log', `${node.nodeName}.log`), 'utf8');
const occurrences = (text: string): number => nodeLog().split(text).length - 1;

/**
 * How often the node's log says a message store was not shut down cleanly (a fresh store says it
 * once, at its first boot), read once the last boot has logged its end: the log is written
 * asynchronously, and a line still on its way would pass for a clean stop.
 */
async function indexRebuilds(boots: number): Promise<number> {
  for (let waited = 0; occurrences('Server startup complete') < boots; waited += 100) {
    if (waited > 20_000) throw new Error(`the node logged fewer than ${boots} completed boots`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return occurrences('rebuilding indices');
}

describe('a private RabbitMQ node', () => {
  it('listens on loopback on a free port with a generated administrator, not guest', async () => {
    expect(node.amqpPort).not.toBe(5672);
    expect(node.user).not.toBe('guest');
    await expect(amqp.connect(`amqp://guest:guest@127.0.0.1:${node.amqpPort}`)).rejects.toThrow();
    const metrics = await (await fetch(node.prometheusUrl)).text();
    expect(metrics).toContain('rabbitmq_identity_info');
  });

  it('keeps persistent messages in durable queues across a graceful restart and a SIGKILL, and forgets transient queues', async () => {
    await withChannel(async (ch) => {
      await ch.assertQueue('durable-q', { durable: true });
      await ch.assertQueue('transient-q', { durable: false });
      ch.sendToQueue('durable-q', Buffer.from('kept'), { persistent: true });
      ch.sendToQueue('transient-q', Buffer.from('forgotten'), { persistent: false });
      await ch.waitForConfirms();
    });
    const firstPid = node.pid;
    const rebuildsBefore = await indexRebuilds(1);
    await node.stop();
    expect(node.running).toBe(false);
    await node.start();
    expect(node.pid).not.toBe(firstPid);
    expect(await depth('durable-q')).toBe(1);
    expect(await depth('transient-q')).toBe('missing');
    // The stop ends the VM early (rabbitmq-node.ts, DATA_CLOSED_MARKER): RabbitMQ must still have
    // closed its stores cleanly, or the restart rebuilds their indices as after a crash.
    expect(await indexRebuilds(2)).toBe(rebuildsBefore);

    const beforeKill = node.pid!;
    await node.kill();
    expect(() => process.kill(beforeKill, 0)).toThrow();
    await node.start();
    expect(await depth('durable-q')).toBe(1);
    // A crash is told apart from a clean stop: the check above can fail.
    expect(await indexRebuilds(3)).toBeGreaterThan(rebuildsBefore);
  });

  it('answers rabbitmqctl', async () => {
    expect(await node.ctl('list_queues', 'name', '--quiet')).toContain('durable-q');
  });
});
