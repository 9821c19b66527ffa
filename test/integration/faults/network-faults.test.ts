// Do the network faults do to a real amqplib client, through the proxy env in front of a real broker,
// what their descriptions promise, and does each stop heal it?
import amqp, { type ChannelModel, type ConfirmChannel } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../../chaos/fault.ts';
import { bandwidth } from '../../../chaos/faults/bandwidth.ts';
import { blackhole } from '../../../chaos/faults/blackhole.ts';
import { connectionCut } from '../../../chaos/faults/connection-cut.ts';
import { latency } from '../../../chaos/faults/latency.ts';
import { BadFaultOptionError } from '../../../chaos/faults/proxy-sides.ts';
import { resetPeer } from '../../../chaos/faults/reset-peer.ts';
import { slicer } from '../../../chaos/faults/slicer.ts';
import { closeAll, sleep, startRig, uniqueName, watchedConnection, within, type Rig } from './support.ts';

const ADDED_LATENCY_MS = 300;
/** A 1 s heartbeat is noticed after two silent intervals, so within 2-3 s; this bound leaves slack. */
const HEARTBEAT_DETECTION_BOUND_MS = 5_000;

let rig: Rig;
const connections = new Set<ChannelModel>();
const active = new Set<Fault>();

beforeAll(async () => {
  rig = await startRig('network-faults');
});
afterEach(async () => {
  for (const fault of active) await fault.stop(rig.env()).catch(() => {});
  active.clear();
  await closeAll(connections);
  connections.clear();
  await rig.proxies.resetAll();
});
afterAll(async () => {
  await rig?.dispose();
});

async function begin(fault: Fault): Promise<void> {
  active.add(fault);
  await fault.start(rig.env());
}

async function connect(side: 'producer' | 'consumer', query: Record<string, number> = {}) {
  const watched = await watchedConnection(rig.urlVia(side, query));
  connections.add(watched.connection);
  return watched;
}

/** A confirm channel with its own queue, for publish-to-confirm round trips. */
async function confirmRig(connection: ChannelModel): Promise<{ channel: ConfirmChannel; queue: string }> {
  const channel = await connection.createConfirmChannel();
  const { queue } = await channel.assertQueue(uniqueName('rt'), { exclusive: true });
  return { channel, queue };
}

async function confirmedRoundTrip(channel: ConfirmChannel, queue: string, bytes = 16): Promise<number> {
  const started = performance.now();
  await new Promise<void>((resolve, reject) =>
    channel.sendToQueue(queue, Buffer.alloc(bytes), {}, (err) => (err ? reject(err) : resolve())),
  );
  return performance.now() - started;
}

async function medianRoundTrip(channel: ConfirmChannel, queue: string, samples = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await confirmedRoundTrip(channel, queue));
  return times.sort((a, b) => a - b)[Math.floor(samples / 2)]!;
}

describe('latency', () => {
  it('adds its delay to a publish-confirm round trip on the chosen side, and stop removes it', async () => {
    const { connection } = await connect('producer');
    const { channel, queue } = await confirmRig(connection);
    const baseline = await medianRoundTrip(channel, queue);

    const fault = latency({ side: 'producer', stream: 'downstream', latencyMs: ADDED_LATENCY_MS, jitterMs: 0 });
    expect(fault.description).toContain(`${ADDED_LATENCY_MS} ms`);
    await begin(fault);
    const slowed = await medianRoundTrip(channel, queue, 3);
    await fault.stop(rig.env());
    const healed = await medianRoundTrip(channel, queue);

    console.log(
      `latency: confirm round trip ${baseline.toFixed(1)} ms -> ${slowed.toFixed(1)} ms ` +
        `with +${ADDED_LATENCY_MS} ms -> ${healed.toFixed(1)} ms healed`,
    );
    expect(slowed).toBeGreaterThanOrEqual(ADDED_LATENCY_MS);
    expect(slowed).toBeLessThan(baseline + ADDED_LATENCY_MS + 200);
    expect(healed).toBeLessThan(ADDED_LATENCY_MS / 2);
  });

  it('leaves the other side alone', async () => {
    const { connection } = await connect('consumer');
    const { channel, queue } = await confirmRig(connection);
    await begin(latency({ side: 'producer', latencyMs: ADDED_LATENCY_MS, jitterMs: 0 }));
    expect(await medianRoundTrip(channel, queue, 3)).toBeLessThan(ADDED_LATENCY_MS / 2);
  });

  it('refuses nonsense options with a message naming what was expected', () => {
    expect(() => latency({ latencyMs: -1 })).toThrow(BadFaultOptionError);
    expect(() => latency({ toxicity: 2 })).toThrow(/toxicity must be between 0 and 1/);
  });
});

describe('connection-cut', () => {
  it('closes a live connection and refuses new ones; stop lets them in again', async () => {
    const live = await connect('producer');
    const fault = connectionCut({ side: 'producer' });
    await begin(fault);
    await within(3_000, 'live connection closed by the cut', live.closed);
    await expect(amqp.connect(rig.urlVia('producer'))).rejects.toThrow();
    // The other side is untouched.
    await connect('consumer');

    await fault.stop(rig.env());
    await fault.stop(rig.env());
    await connect('producer');
  });

  it('stop heals even if start never ran', async () => {
    const fault = connectionCut();
    await fault.stop(rig.env());
    await connect('producer');
    await connect('consumer');
  });
});

describe('blackhole', () => {
  it('is noticed within seconds by a client with a 1 s heartbeat, never by one with heartbeat 0', async () => {
    const beating = await connect('consumer', { heartbeat: 1 });
    const silent = await connect('consumer', { heartbeat: 0 });
    const fault = blackhole({ side: 'consumer' });
    const started = performance.now();
    await begin(fault);

    const noticedAt = await within(HEARTBEAT_DETECTION_BOUND_MS, 'heartbeat client notices the black hole', beating.closed);
    const detectionMs = noticedAt - started;
    await sleep(Math.max(0, HEARTBEAT_DETECTION_BOUND_MS - (performance.now() - started)));
    console.log(
      `blackhole: heartbeat 1 s client noticed after ${detectionMs.toFixed(0)} ms (${beating.events.join('; ')}); ` +
        `heartbeat 0 client after ${HEARTBEAT_DETECTION_BOUND_MS} ms: ${silent.isClosed() ? 'closed' : 'still "open"'}`,
    );
    expect(detectionMs).toBeGreaterThan(1_000);
    expect(beating.events.some((e) => e.startsWith('error:'))).toBe(true);
    expect(silent.isClosed()).toBe(false);

    // Healing removes the toxics, which closes what they held: the silent client learns at last.
    await fault.stop(rig.env());
    await within(3_000, 'held connection closed by the heal', silent.closed);
    const fresh = await connect('consumer');
    const { channel, queue } = await confirmRig(fresh.connection);
    await confirmedRoundTrip(channel, queue);
  });
});

describe('bandwidth', () => {
  it('throttles a large publish to about the given rate', async () => {
    const { connection } = await connect('producer');
    const { channel, queue } = await confirmRig(connection);
    const rateKBps = 20;
    const bytes = 40_000;
    await begin(bandwidth({ side: 'producer', stream: 'upstream', rateKBps }));
    const elapsed = await confirmedRoundTrip(channel, queue, bytes);
    console.log(`bandwidth: ${bytes} bytes at ${rateKBps} KB/s confirmed after ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeGreaterThan(((bytes / (rateKBps * 1000)) * 1000) / 2);
    expect(() => bandwidth({ rateKBps: 0 })).toThrow(BadFaultOptionError);
  });
});

describe('slicer', () => {
  it('fragments frames without breaking the protocol', async () => {
    const { connection } = await connect('producer');
    const { channel, queue } = await confirmRig(connection);
    await begin(slicer({ side: 'producer', averageSize: 8, sizeVariation: 4, delayMicros: 100 }));
    const elapsed = await confirmedRoundTrip(channel, queue, 2_000);
    const fresh = await connect('producer');
    await confirmRig(fresh.connection);
    expect(elapsed).toBeLessThan(5_000);
  });
});

describe('reset-peer', () => {
  it('resets connections on their next data and stop lets new ones work', async () => {
    const live = await connect('producer');
    const { channel, queue } = await confirmRig(live.connection);
    const fault = resetPeer({ side: 'producer' });
    await begin(fault);
    channel.sendToQueue(queue, Buffer.from('trigger'));
    await within(3_000, 'reset connection closed', live.closed);
    await expect(amqp.connect(rig.urlVia('producer'))).rejects.toThrow();
    await fault.stop(rig.env());
    await connect('producer');
  });
});
