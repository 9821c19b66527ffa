import amqp from 'amqplib';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartedReferenceSystem } from '../../support/reference-system.ts';
import { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import { until } from '../../support/deadlines.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('poison');
let node: StartedRabbitNode;
let system: StartedReferenceSystem;

beforeAll(async () => {
  node = await StartedRabbitNode.start({ dir: join(dir.path, 'broker') });
  system = await StartedReferenceSystem.start(
    dir.path,
    { publishUrl: node.amqpUrl(), consumeUrl: node.amqpUrl() },
    { instances: { orders: 1, payments: 1, inventory: 1, notifications: 1, 'dead-letter': 1 }, flaws: [] },
  );
});
afterAll(async () => {
  await system?.stop();
  await node?.dispose();
  dir.remove();
});

function deadLetters(): { message_id: string; queue: string; reason: string; body: string }[] {
  const db = new Database(join(system.dataDir, 'dead-letters.sqlite'), { readonly: true });
  try {
    return db.prepare('SELECT message_id, queue, reason, body FROM dead_letters ORDER BY seq').all() as never;
  } finally {
    db.close();
  }
}

describe('a poison message', () => {
  it('goes to the dead-letter queue with its reason, and the workers keep working', async () => {
    const connection = await amqp.connect(node.amqpUrl());
    const channel = await connection.createConfirmChannel();
    channel.publish('orders', 'order.created', Buffer.from('this is not JSON'), { persistent: true, messageId: 'poison-1' });
    channel.publish('payments', 'process', Buffer.from(JSON.stringify({ orderId: 'x' })), { persistent: true, messageId: 'poison-2' });
    await channel.waitForConfirms();
    await connection.close();

    // order.created is bound for the orders worker and inventory: both reject it; the payment lacks fields.
    const letters = await until('three dead letters recorded', () => {
      const rows = deadLetters();
      return rows.length >= 3 ? rows : undefined;
    });
    expect(letters.map((l) => `${l.message_id}@${l.queue}:${l.reason}`).sort()).toEqual([
      'poison-1@inventory.update:rejected',
      'poison-1@order.created:rejected',
      'poison-2@payment.process:rejected',
    ]);
    expect(letters.find((l) => l.message_id === 'poison-1')!.body).toBe('this is not JSON');

    for (const p of system.processes) expect(p.running, `${p.instance} still running`).toBe(true);
    const response = await fetch(`${system.apiUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'after-poison', userId: 'u1', items: [{ productId: 'p-2', quantity: 1, price: 3 }] }),
    });
    expect(response.status).toBe(202);
    const completed = await until('the order after the poison completed', async () => {
      const r = await fetch(`${system.apiUrl}/orders/after-poison`);
      const body = (await r.json()) as { status?: string };
      return body.status === 'completed' ? body : undefined;
    });
    expect(completed.status).toBe('completed');
    const auditorHistory = readFileSync(join(system.historyDir, 'dead-letter-1.jsonl'), 'utf8');
    expect(auditorHistory).toContain('"kind":"dead-lettered","id":"poison-1"');
  });
});
