import amqp from 'amqplib';
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
    await node.stop();
    expect(node.running).toBe(false);
    await node.start();
    expect(node.pid).not.toBe(firstPid);
    expect(await depth('durable-q')).toBe(1);
    expect(await depth('transient-q')).toBe('missing');

    const beforeKill = node.pid!;
    await node.kill();
    expect(() => process.kill(beforeKill, 0)).toThrow();
    await node.start();
    expect(await depth('durable-q')).toBe(1);
  });

  it('answers rabbitmqctl', async () => {
    expect(await node.ctl('list_queues', 'name', '--quiet')).toContain('durable-q');
  });
});
