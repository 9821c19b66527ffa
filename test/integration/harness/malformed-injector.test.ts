// Does the harness's malformed-message injector put exactly what its history says into the work
// queues of a real broker, and record the broker's answer truthfully: confirmed when the queue took
// it, failed when nothing could route it or there was no broker at all?
import { join } from 'node:path';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../harness/env/free-port.ts';
import { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import { readHistory } from '../../../harness/history/read-history.ts';
import { startMalformedInjector } from '../../../harness/runner/malformed-injector.ts';
import { malformedCatalogue, malformedQueues } from '../../../harness/runner/malformed-messages.ts';
import { REFERENCE_TOPOLOGY } from '../../../system/target/declared-topology.ts';

const MALFORMED_QUEUES = malformedQueues(REFERENCE_TOPOLOGY);
import { assertTopology } from '../../../system/amqp/topology.ts';
import type { HistoryEvent, PublishAttemptEvent, PublishResultEvent } from '../../../instrument/history-event.ts';
import { tempDir } from '../../support/temp-dir.ts';

const dir = tempDir('malformed-injector');
let node: StartedRabbitNode;

beforeAll(async () => {
  node = await StartedRabbitNode.start({ dir: join(dir.path, 'broker') });
});
afterAll(async () => {
  await node?.dispose();
  dir.remove();
});

function inject(name: string, amqpUrl: string, durationSeconds: number, signal = new AbortController().signal) {
  const historyFile = join(dir.path, name, 'injector.jsonl');
  const injector = startMalformedInjector({ amqpUrl, queues: MALFORMED_QUEUES, historyFile, durationSeconds, perQueue: 1 }, signal);
  return { done: injector.done, history: (): HistoryEvent[] => readHistory(join(dir.path, name)) };
}

const attempts = (events: HistoryEvent[]) => events.filter((e): e is PublishAttemptEvent => e.kind === 'publish-attempt');
const results = (events: HistoryEvent[]) => events.filter((e): e is PublishResultEvent => e.kind === 'publish-result');

describe('the malformed-message injector', () => {
  it('records a failure, not a confirm, when no queue exists to take the messages (returned unroutable)', async () => {
    const run = inject('no-topology', node.amqpUrl(), 0.5);
    expect(await run.done).toEqual({ attempted: MALFORMED_QUEUES.length, ok: 0, fail: MALFORMED_QUEUES.length, info: 0 });
    for (const r of results(run.history()))
      expect(r).toMatchObject({ proc: 'injector', outcome: 'fail', error: expect.stringMatching(/returned unroutable/) });
  });

  it(
    'puts one persistent message with its id into every work queue through the default exchange, ' +
      'each confirmed and recorded with intent malformed',
    async () => {
      const connection = await amqp.connect(node.amqpUrl());
      try {
        const channel = await connection.createChannel();
        await assertTopology(channel, { durableQueues: true, deadLetterExchange: true });
        const run = inject('topology', node.amqpUrl(), 0.5);
        expect(await run.done).toEqual({ attempted: MALFORMED_QUEUES.length, ok: MALFORMED_QUEUES.length, fail: 0, info: 0 });
        const events = run.history();
        const expected = malformedCatalogue(1, MALFORMED_QUEUES);
        expect(
          attempts(events).map(({ id, orderId, exchange, routingKey, intent, proc }) => ({
            id,
            orderId,
            exchange,
            routingKey,
            intent,
            proc,
          })),
        ).toEqual(
          expected.map((m) => ({ id: m.id, orderId: '', exchange: '', routingKey: m.queue, intent: 'malformed', proc: 'injector' })),
        );
        expect(results(events).map((r) => [r.id, r.outcome])).toEqual(expected.map((m) => [m.id, 'ok']));
        for (const m of expected) {
          const got = await channel.get(m.queue, { noAck: true });
          expect(got, m.queue).not.toBe(false);
          if (got === false) continue;
          expect(got.properties.messageId).toBe(m.id);
          expect(got.properties.deliveryMode).toBe(2);
          expect(got.content.equals(m.content), `${m.id} (${m.kind})`).toBe(true);
          expect(await channel.get(m.queue, { noAck: true }), `${m.queue} holds only its one message`).toBe(false);
        }
      } finally {
        await connection.close().catch(() => {});
      }
    },
  );

  it('records every message as failed, not connected, when the broker cannot be reached, and still finishes', async () => {
    const run = inject('no-broker', `amqp://guest:guest@127.0.0.1:${await freePort()}`, 0.5);
    expect(await run.done).toMatchObject({ attempted: MALFORMED_QUEUES.length, ok: 0, fail: MALFORMED_QUEUES.length });
    for (const r of results(run.history())) expect(r.error).toMatch(/not connected/);
  });

  it('stops publishing when the run is interrupted, and resolves rather than waiting out the load', async () => {
    const abort = new AbortController();
    const run = inject('aborted', node.amqpUrl(), 60, abort.signal);
    setTimeout(() => abort.abort(), 200);
    const started = performance.now();
    const summary = await run.done;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(summary.attempted).toBe(0);
    expect(attempts(run.history())).toHaveLength(0);
  });
});
