import { EventEmitter } from 'node:events';
import type { ChannelModel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import type { HistoryRecorder } from '../../../instrument/index.ts';
import { Publisher } from '../../../system/amqp/publisher.ts';
import type { OutgoingMessage } from '../../../system/messages.ts';

// After a nack, does the system's publisher on a cluster move to a fresh channel (RabbitMQ 3.10 may
// keep nacking a channel that published to a quorum queue during its leader election; see
// Publisher#renew and test/integration/system-cluster/cluster-mode.test.ts), once per nacked
// channel, and leave the old one open until its confirms are in? And on a single broker, not at all?

/**
 * A confirm channel as RabbitMQ 3.10 treats one publishing to a quorum queue: if its first publish
 * came during a leader election, it is nacked from then on; otherwise it is confirmed.
 */
class FakeChannel extends EventEmitter {
  readonly published: string[] = [];
  closed = false;
  #stuck: boolean | undefined;
  constructor(
    readonly id: number,
    readonly electing: () => boolean,
  ) {
    super();
  }
  publish(_exchange: string, _key: string, _content: Buffer, options: { messageId: string }, cb: (err: Error | null) => void): boolean {
    this.published.push(options.messageId);
    this.#stuck ??= this.electing();
    const nacked = this.#stuck;
    setImmediate(() => cb(nacked ? new Error('nacked') : null));
    return true;
  }
  waitForConfirms(): Promise<void> {
    return Promise.resolve();
  }
  async assertExchange(): Promise<void> {}
  async assertQueue(): Promise<void> {}
  async bindQueue(): Promise<void> {}
  async close(): Promise<void> {
    this.closed = true;
    this.emit('close');
  }
}

function fakeModel(electing: () => boolean) {
  const channels: FakeChannel[] = [];
  const model = {
    createConfirmChannel: async () => {
      const channel = new FakeChannel(channels.length + 1, electing);
      channels.push(channel);
      return channel;
    },
  } as unknown as ChannelModel;
  return { model, channels };
}

const NO_HISTORY = { append: () => {} } as unknown as HistoryRecorder;
const TOPOLOGY = { durableQueues: true, deadLetterExchange: true, queueType: 'quorum' } as const;
const CONFIRM_TIMEOUT_MS = 40;
const message = (k: number): OutgoingMessage => ({
  exchange: 'orders',
  routingKey: 'order.created',
  messageId: `m-${k}`,
  orderId: `o-${k}`,
  body: {},
});
const tick = () => new Promise((r) => setImmediate(r));

function publisher(renewChannelOnNack: boolean): Publisher {
  return new Publisher({ history: NO_HISTORY, confirms: true, persistent: true, confirmTimeoutMs: CONFIRM_TIMEOUT_MS, renewChannelOnNack });
}

describe('the publisher after a nack', () => {
  it('on a cluster, publishes on a fresh channel of the same connection, and closes the nacked one after a confirm timeout', async () => {
    let electing = true;
    const { model, channels } = fakeModel(() => electing);
    const p = publisher(true);
    await p.attach(model, TOPOLOGY);
    expect((await p.publish(message(1))).outcome).toBe('fail');
    electing = false;
    await tick();
    expect(channels.map((c) => c.id)).toEqual([1, 2]);
    expect((await p.publish(message(2))).outcome).toBe('ok');
    expect(channels[0]!.published).toEqual(['m-1']);
    expect(channels[1]!.published).toEqual(['m-2']);
    expect(channels[0]!.closed).toBe(false);
    await new Promise((r) => setTimeout(r, CONFIRM_TIMEOUT_MS * 2));
    expect(channels[0]!.closed).toBe(true);
    expect(channels[1]!.closed).toBe(false);
  });

  it('renews once per nacked channel; what that channel nacks afterwards counts as in doubt (it is no longer the one in use)', async () => {
    let electing = true;
    const { model, channels } = fakeModel(() => electing);
    const p = publisher(true);
    await p.attach(model, TOPOLOGY);
    const outcomes = await Promise.all([1, 2, 3].map((k) => p.publish(message(k))));
    expect(outcomes.map((o) => o.outcome)).toEqual(['fail', 'info', 'info']);
    electing = false;
    await tick();
    expect(channels).toHaveLength(2);
    expect((await p.publish(message(4))).outcome).toBe('ok');
  });

  it('keeps renewing while fresh channels are nacked too, until one is confirmed', async () => {
    let electing = true;
    const { model, channels } = fakeModel(() => electing);
    const p = publisher(true);
    await p.attach(model, TOPOLOGY);
    for (let k = 1; k <= 3; k++) {
      expect((await p.publish(message(k))).outcome).toBe('fail');
      await tick();
    }
    electing = false;
    expect((await p.publish(message(4))).outcome).toBe('ok');
    expect(channels.map((c) => c.published)).toEqual([['m-1'], ['m-2'], ['m-3'], ['m-4']]);
  });

  it('does not renew a channel of a connection that is gone', async () => {
    const { model, channels } = fakeModel(() => true);
    const p = publisher(true);
    await p.attach(model, TOPOLOGY);
    const nacked = p.publish(message(1));
    p.detach();
    expect((await nacked).outcome).not.toBe('ok');
    await tick();
    expect(channels).toHaveLength(1);
  });

  it('on a single broker, keeps its channel', async () => {
    let electing = true;
    const { model, channels } = fakeModel(() => electing);
    const p = publisher(false);
    await p.attach(model, TOPOLOGY);
    expect((await p.publish(message(1))).outcome).toBe('fail');
    electing = false;
    await tick();
    expect(channels).toHaveLength(1);
    expect((await p.publish(message(2))).outcome).toBe('fail');
    expect(channels[0]!.published).toEqual(['m-1', 'm-2']);
  });
});
