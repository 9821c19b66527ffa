// Do the resource-alarm faults really raise the broker's alarm, so that a publishing connection through
// the producer proxy is blocked, and does stop clear it (unblocked, publishes confirmed again)?
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../../chaos/fault.ts';
import { diskAlarm } from '../../../chaos/faults/disk-alarm.ts';
import { memoryAlarm } from '../../../chaos/faults/memory-alarm.ts';
import { raisedAlarms } from '../../../chaos/faults/resource-alarm.ts';
import { closeAll, startRig, uniqueName, until, watchedConnection, within, type Rig } from './support.ts';

const BLOCK_NOTICE_MS = 5_000;

let rig: Rig;
const connections = new Set<ChannelModel>();

beforeAll(async () => {
  rig = await startRig('alarm-faults');
});
afterEach(async () => {
  await closeAll(connections);
  connections.clear();
});
afterAll(async () => {
  await rig?.dispose();
});

function confirmed(channel: ConfirmChannel, queue: string): Promise<void> {
  return new Promise((resolve, reject) => channel.sendToQueue(queue, Buffer.from('x'), {}, (err) => (err ? reject(err) : resolve())));
}

async function blocksAndHeals(fault: Fault, resource: 'memory' | 'disk', thresholdRead: string[]): Promise<void> {
  const before = (await rig.node.ctl(...thresholdRead)).trim();
  const publisher = await watchedConnection(rig.urlVia('producer'));
  connections.add(publisher.connection);
  const channel = await publisher.connection.createConfirmChannel();
  const { queue } = await channel.assertQueue(uniqueName(resource), { exclusive: true });
  await confirmed(channel, queue);

  const env = rig.env();
  try {
    const started = performance.now();
    await fault.start(env);
    const startMs = performance.now() - started;
    expect(await raisedAlarms(rig.node)).toContain(resource);
    // RabbitMQ blocks a connection (and says so) when it next publishes: that publish is held, unconfirmed.
    const held = confirmed(channel, queue);
    await until('blocked', () => (publisher.events.some((e) => e.startsWith('blocked')) ? true : undefined), BLOCK_NOTICE_MS);
    const heldOutcome = await Promise.race([held.then(() => 'confirmed'), new Promise((r) => setTimeout(() => r('held'), 1_000))]);
    expect(heldOutcome).toBe('held');

    const healing = performance.now();
    await fault.stop(env);
    const stopMs = performance.now() - healing;
    await until('unblocked', () => (publisher.events.includes('unblocked') ? true : undefined), BLOCK_NOTICE_MS);
    await within(BLOCK_NOTICE_MS, 'held publish confirmed after the heal', held);
    console.log(
      `${fault.name}: start (set + verify) ${startMs.toFixed(0)} ms, stop ${stopMs.toFixed(0)} ms; ` +
        `events ${publisher.events.join('; ')}; log ${rig.log.join(' | ')}`,
    );
  } finally {
    await fault.stop(env);
  }
  expect(await raisedAlarms(rig.node)).not.toContain(resource);
  expect((await rig.node.ctl(...thresholdRead)).trim()).toBe(before);
  await fault.stop(env);
}

describe('memory-alarm', () => {
  it('blocks publishing connections until stop restores the watermark', async () => {
    await blocksAndHeals(memoryAlarm(), 'memory', ['eval', 'vm_memory_monitor:get_vm_memory_high_watermark().']);
  });

  it('stop without start leaves the default watermark and no alarm', async () => {
    await memoryAlarm().stop(rig.env());
    expect(await raisedAlarms(rig.node)).toEqual(new Set());
    expect((await rig.node.ctl('eval', 'vm_memory_monitor:get_vm_memory_high_watermark().')).trim()).toBe('0.4');
  });
});

describe('disk-alarm', () => {
  it('blocks publishing connections until stop restores the free-space limit', async () => {
    await blocksAndHeals(diskAlarm(), 'disk', ['eval', 'rabbit_disk_monitor:get_disk_free_limit().']);
  });
});
