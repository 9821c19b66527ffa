import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeclaredTopology } from '../../../harness/target/target.ts';
import { DeliveryLedger } from '../../../harness/checkers/delivery-ledger.ts';
import { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import { readHistory } from '../../../harness/history/read-history.ts';
import type { HistoryEvent } from '../../../instrument/history-event.ts';
import { consumeWithHistory, HISTORY_FILE_ENV, instrumentPublisher, openHistory } from '../../../instrument/index.ts';
import { tempDir } from '../../support/temp-dir.ts';

/**
 * A service written with plain amqplib and the instrumentation library, against a real broker:
 * does its history say what happened to each message, and does the harness's ledger account for
 * every one of them from that history alone?
 */

const dir = tempDir('instrument');
const historyDir = join(dir.path, 'history');
const queue = `instrumented-${randomBytes(4).toString('hex')}`;
const autoAckQueue = `${queue}-auto-ack`;
const SETTLE_WAIT_MS = 10_000;
const LATE_DELIVERY_GRACE_MS = 500;
let node: StartedRabbitNode;

beforeAll(async () => {
  node = await StartedRabbitNode.start({ dir: join(dir.path, 'node') });
});
afterAll(async () => {
  await node?.dispose();
  dir.remove();
});

/** The tiny service's declared topology: two work queues, fed through the default exchange. */
const topology: DeclaredTopology = {
  workQueues: [queue, autoAckQueue],
  bestEffortQueues: [],
  boundedQueues: {},
  retryQueues: () => [],
  retryTarget: () => undefined,
  routesTo: (exchange, routingKey) => (exchange === '' && (routingKey === queue || routingKey === autoAckQueue) ? [routingKey] : []),
  maxRetries: 0,
};

/** The producer, as a team would write it: its history file comes from HISTORY_FILE. */
async function produce(): Promise<void> {
  process.env[HISTORY_FILE_ENV] = join(historyDir, 'producer-1.jsonl');
  const history = openHistory('producer-1');
  delete process.env[HISTORY_FILE_ENV];
  const connection = await amqp.connect(node.amqpUrl());
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true });
    await channel.assertQueue(autoAckQueue, { durable: true });
    const publisher = instrumentPublisher(channel, history);
    const send = (id: string, routingKey = queue) =>
      publisher.publish(
        '',
        routingKey,
        Buffer.from(JSON.stringify({ id })),
        { messageId: id, persistent: true, mandatory: true },
        { orderId: `order-${id}` },
      );
    expect((await send('m-1')).outcome).toBe('ok');
    expect((await send('m-2')).outcome).toBe('ok');
    expect(await send('m-unroutable', `nowhere-${queue}`)).toMatchObject({ outcome: 'fail', cause: 'returned' });
    expect((await send('m-auto', autoAckQueue)).outcome).toBe('ok');
  } finally {
    await connection.close().catch(() => {});
  }

  // The network dies between the publish and its confirm: nobody can know whether the broker took it.
  const doomed = await amqp.connect(node.amqpUrl());
  doomed.on('error', () => {});
  const channel = await doomed.createConfirmChannel();
  channel.on('error', () => {});
  const publisher = instrumentPublisher(channel, history);
  const pending = publisher.publish('', queue, Buffer.from('{}'), { messageId: 'm-doubt', persistent: true }, { orderId: 'order-m-doubt' });
  socketOf(doomed).destroy(new Error('network died'));
  expect(await pending).toMatchObject({ outcome: 'info', cause: 'channel-closed' });
  history.close();
}

/** The consumer, as a team would write it: fails m-1 once (nack, requeue), refuses m-2, stores the rest. */
async function consumeUntilSettled(): Promise<void> {
  const history = openHistory('worker-1', join(historyDir, 'worker-1.jsonl'));
  const connection = await amqp.connect(node.amqpUrl());
  try {
    const channel = await connection.createChannel();
    await channel.prefetch(1);
    const settled = new Set<string>();
    await consumeWithHistory(channel, queue, history, (delivery) => {
      if (delivery.id === 'm-1' && !delivery.redelivered) return delivery.nack({ requeue: true, reason: 'first attempt fails' });
      if (delivery.id === 'm-2') {
        delivery.reject({ reason: 'refused on purpose' });
        settled.add(delivery.id);
        return;
      }
      delivery.effect('stored');
      delivery.ack();
      settled.add(delivery.id);
    });
    // With noAck the broker settles on delivery: only the effect can say the message was consumed.
    const autoAckChannel = await connection.createChannel();
    await consumeWithHistory(
      autoAckChannel,
      autoAckQueue,
      history,
      (delivery) => {
        delivery.effect('stored');
        settled.add(delivery.id);
      },
      { noAck: true },
    );
    await waitFor(() => settled.has('m-1') && settled.has('m-2') && settled.has('m-auto'), SETTLE_WAIT_MS);
    // m-doubt may or may not have reached the broker; if it did, it is delivered by now.
    await new Promise((resolve) => setTimeout(resolve, LATE_DELIVERY_GRACE_MS));
  } finally {
    await connection.close().catch(() => {});
    history.close();
  }
}

describe('the instrumentation library on a plain amqplib service', () => {
  let events: HistoryEvent[];

  beforeAll(async () => {
    await produce();
    await consumeUntilSettled();
    events = readHistory(historyDir);
  }, 60_000);

  it('records each publish attempt and what is known of its outcome', () => {
    const publishes = events.filter((e) => e.proc === 'producer-1' && (e.kind === 'publish-attempt' || e.kind === 'publish-result'));
    expect(publishes).toMatchObject([
      { kind: 'publish-attempt', id: 'm-1', orderId: 'order-m-1', exchange: '', routingKey: queue },
      { kind: 'publish-result', id: 'm-1', outcome: 'ok' },
      { kind: 'publish-attempt', id: 'm-2' },
      { kind: 'publish-result', id: 'm-2', outcome: 'ok' },
      { kind: 'publish-attempt', id: 'm-unroutable', routingKey: `nowhere-${queue}` },
      { kind: 'publish-result', id: 'm-unroutable', outcome: 'fail', error: 'returned unroutable' },
      { kind: 'publish-attempt', id: 'm-auto', routingKey: autoAckQueue },
      { kind: 'publish-result', id: 'm-auto', outcome: 'ok' },
      { kind: 'publish-attempt', id: 'm-doubt' },
      { kind: 'publish-result', id: 'm-doubt', outcome: 'info', error: 'channel closed before confirm' },
    ]);
  });

  it('records deliveries with their redelivered flag, each settle on the same channel and tag, and the effect', () => {
    const m1 = events.filter((e) => e.proc === 'worker-1' && 'id' in e && e.id === 'm-1');
    expect(m1.map((e) => e.kind)).toEqual(['deliver', 'nack', 'deliver', 'handled', 'ack']);
    const [first, nack, second, handled, ack] = m1;
    expect(first).toMatchObject({ kind: 'deliver', queue, consumer: 'worker-1', orderId: 'order-m-1', redelivered: false });
    expect(nack).toMatchObject({ kind: 'nack', requeue: true, reason: 'first attempt fails' });
    expect(second).toMatchObject({ kind: 'deliver', redelivered: true });
    expect(handled).toMatchObject({ kind: 'handled', orderId: 'order-m-1', queue, consumer: 'worker-1', applied: true, effect: 'stored' });
    const place = (e: HistoryEvent | undefined) => (e && 'deliveryTag' in e && 'channel' in e ? [e.channel, e.deliveryTag] : undefined);
    expect(place(nack)).toEqual(place(first));
    expect(place(ack)).toEqual(place(second));
    expect(place(second)).not.toEqual(place(first));

    const m2 = events.filter((e) => e.proc === 'worker-1' && 'id' in e && e.id === 'm-2');
    expect(m2).toMatchObject([
      { kind: 'deliver', redelivered: false },
      { kind: 'reject', requeue: false, reason: 'refused on purpose' },
    ]);
    expect(m1.find((e) => e.kind === 'deliver' && 'autoAck' in e)).toBeUndefined();
  });

  it('marks deliveries of a noAck consumer as auto-acked, so the checkers judge them by their effect', () => {
    const auto = events.filter((e) => e.proc === 'worker-1' && 'id' in e && e.id === 'm-auto');
    expect(auto).toMatchObject([
      { kind: 'deliver', queue: autoAckQueue, redelivered: false, autoAck: true },
      { kind: 'handled', effect: 'stored' },
    ]);
  });

  it('lets the ledger account for every message from the history alone, the one rejected into nowhere as lost', () => {
    const ledger = new DeliveryLedger(topology);
    ledger.ingest(events);
    const stage = ledger.stages().find((s) => s.queue === queue);
    const doubtLanded = events.some((e) => e.kind === 'handled' && e.id === 'm-doubt');
    expect(stage).toMatchObject({
      attempted: 3,
      confirmed: 2,
      consumed: doubtLanded ? 2 : 1,
      lost: ['m-2'],
      stuckCount: 0,
      unexpectedCount: 0,
      duplicated: 0,
      recovered: doubtLanded ? 1 : 0,
      inDoubt: doubtLanded ? 0 : 1,
    });
    expect(ledger.stages().find((s) => s.queue === autoAckQueue)).toMatchObject({
      attempted: 1,
      confirmed: 1,
      consumed: 1,
      lostCount: 0,
      unexpectedCount: 0,
    });
  });
});

async function waitFor(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`consumer did not settle m-1, m-2 and m-auto within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** amqplib keeps the TCP socket on an untyped field; destroying it with an error is the network dying, without a close handshake. */
function socketOf(model: amqp.ChannelModel): { destroy(err: Error): void } {
  return (model as unknown as { connection: { stream: { destroy(err: Error): void } } }).connection.stream;
}
