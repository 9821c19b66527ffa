import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import type { HistoryRecord } from '../../../instrument/history-event.ts';
import type { HistoryWriter } from '../../../instrument/history-writer.ts';
import { openManagedConnection } from '../../../system/amqp/managed-connection.ts';
import { tempDir } from '../../support/temp-dir.ts';

// A link that swallows the AMQP handshake (a cut that drops bytes before it closes, a broker still
// booting) must not leave a process disconnected for good: heartbeats start only after the handshake,
// and amqplib's recovery makes one attempt at a time, so the attempt itself needs a bound.
const dir = tempDir('stalled-handshake');
let node: StartedRabbitNode;
let server: Server;
const sockets = new Set<Socket>();

beforeAll(async () => {
  node = await StartedRabbitNode.start({ dir: dir.path });
  let accepted = 0;
  // The first connection is accepted and never answered; the next ones are forwarded to the broker.
  server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => {});
    if (++accepted === 1) return;
    const upstream = createConnection({ host: node.host, port: node.amqpPort });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server?.close(resolve));
  await node?.dispose();
  dir.remove();
});

describe('a managed connection whose first handshake is swallowed', () => {
  it('gives that attempt up (connect ETIMEDOUT) and connects on the next one', async () => {
    const events: HistoryRecord[] = [];
    const history = { append: (e: HistoryRecord) => events.push(e) } as unknown as HistoryWriter;
    const port = (server.address() as { port: number }).port;
    const url = node.amqpUrl('127.0.0.1', port);
    const started = performance.now();
    const connection = await openManagedConnection({
      url,
      name: 'stalled-handshake test',
      heartbeatSeconds: 5,
      history,
      setup: async () => {},
      onDisconnect: () => {},
      flaws: [],
    });
    const seconds = (performance.now() - started) / 1000;
    await connection.close();
    const failed = events.filter((e) => e.kind === 'lifecycle' && e.event === 'disconnected');
    expect(failed.map((e) => (e as { detail?: string }).detail)).toEqual([expect.stringMatching(/connect failed: connect ETIMEDOUT/)]);
    expect(events.some((e) => e.kind === 'lifecycle' && e.event === 'connected')).toBe(true);
    // The bound (5 s) plus one backoff step, not forever.
    expect(seconds).toBeLessThan(15);
  }, 40_000);
});
