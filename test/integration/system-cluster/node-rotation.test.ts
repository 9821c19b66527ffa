import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import type { HistoryRecord } from '../../../instrument/history-event.ts';
import type { HistoryWriter } from '../../../instrument/history-writer.ts';
import { openManagedConnection } from '../../../system/amqp/managed-connection.ts';
import { freePorts } from '../../../system/target/reference-processes.ts';
import { tempDir } from '../../support/temp-dir.ts';

// Does amqplib's recovery really connect where the rotation points, attempt after attempt? Three
// "nodes" on one real broker: a closed port, the broker, and the broker with a wrong password. The
// managed connection must try them in order, wrapping around, each attempt whole (the wrong
// password's node is refused by the broker, not reached with the right one's credentials).
const dir = tempDir('node-rotation');
let node: StartedRabbitNode;
beforeAll(async () => {
  node = await StartedRabbitNode.start({ dir: dir.path });
});
afterAll(async () => {
  await node?.dispose();
  dir.remove();
});

async function until(what: string, timeoutMs: number, test: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (test()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

describe('a managed connection given several nodes', () => {
  it('tries them in order from the first, moving on after each failed attempt and each lost connection, wrapping around', async () => {
    const [closed] = await freePorts(1);
    const real = `${node.host}:${node.amqpPort}`;
    const urls = [`amqp://nobody:nothing@127.0.0.1:${closed}`, node.amqpUrl(), `amqp://${encodeURIComponent(node.user)}:wrong@${real}`];
    const events: { event: string; detail: string }[] = [];
    const history = {
      append: (e: HistoryRecord) => {
        if (e.kind === 'lifecycle') events.push({ event: e.event, detail: e.detail ?? '' });
      },
    } as unknown as HistoryWriter;
    let setups = 0;
    const connection = await openManagedConnection({
      url: urls,
      name: 'rotation publish',
      heartbeatSeconds: 5,
      history,
      flaws: [],
      setup: async () => void setups++,
      onDisconnect: () => {},
    });
    try {
      connection.recycle();
      await until('connected a second time', 15_000, () => events.filter((e) => e.event === 'connected').length === 2);
    } finally {
      await connection.close();
    }
    expect(setups).toBe(2);
    expect(events.map((e) => `${e.event} ${e.detail}`)).toEqual([
      expect.stringMatching(
        new RegExp(`^disconnected rotation publish: connect failed: .*ECONNREFUSED.* \\(127\\.0\\.0\\.1:${closed} \\(node 1 of 3\\)\\)$`),
      ),
      `connected rotation publish: ${real} (node 2 of 3)`,
      expect.stringMatching(new RegExp(`^disconnected rotation publish: .* \\(${real} \\(node 2 of 3\\)\\)$`)),
      expect.stringMatching(
        new RegExp(`^disconnected rotation publish: connect failed: .*ACCESS.REFUSED.* \\(${real} \\(node 3 of 3\\)\\)$`),
      ),
      expect.stringMatching(
        new RegExp(`^disconnected rotation publish: connect failed: .*ECONNREFUSED.* \\(127\\.0\\.0\\.1:${closed} \\(node 1 of 3\\)\\)$`),
      ),
      `connected rotation publish: ${real} (node 2 of 3)`,
    ]);
  }, 60_000);
});
