// Do changes reach connections that are already open, as with the real Toxiproxy? Toxics added, updated
// and removed mid-stream must apply at once without losing or reordering a byte; disabling, deleting and
// POST /reset must act on live sockets too.
import { describe, expect, it } from 'vitest';
import type { Proxy } from 'toxiproxy-node-client';
import {
  connect,
  pattern,
  roundTrip,
  sleep,
  startEchoServer,
  useEmbeddedToxiproxy,
  within,
  type Recorder,
  type TcpServerFixture,
} from './support.ts';

const FAST_MS = 150;
const RECORD_BYTES = 16;
const PUMP_INTERVAL_MS = 2;
const PHASE_MS = 400;

const suite = useEmbeddedToxiproxy();
const { openThrough } = suite;

async function echoProxy(prefix: string): Promise<{ proxy: Proxy; echo: TcpServerFixture }> {
  const echo = await suite.upstream(startEchoServer());
  return { proxy: await suite.proxyTo(prefix, echo), echo };
}

/**
 * Writes numbered 16-byte records every few ms and times each one's echo, so a test can ask how long
 * records sent after a given moment took, and check that every record came back once, in order, intact.
 */
interface Pump {
  stop(): Promise<void>;
  /** Echo delays of the records sent after `sentAfter` that were back before `arrivedBefore`. */
  delays(sentAfter: number, arrivedBefore?: number): number[];
  sent(): Buffer;
}

function pump(conn: Recorder): Pump {
  const sentAt: number[] = [];
  const records: Buffer[] = [];
  const timer = setInterval(() => {
    const record = pattern(RECORD_BYTES, sentAt.length + 1);
    record.writeUInt32BE(sentAt.length, 0);
    records.push(record);
    sentAt.push(performance.now());
    conn.socket.write(record);
  }, PUMP_INTERVAL_MS);
  const arrivals = (): number[] => {
    // Arrival of record i is the time of the chunk that completed its last byte.
    const times: number[] = [];
    let bytes = 0;
    conn.chunks.forEach((chunk, index) => {
      bytes += chunk.length;
      while ((times.length + 1) * RECORD_BYTES <= bytes) times.push(conn.chunkTimes[index] ?? Number.NaN);
    });
    return times;
  };
  return {
    async stop() {
      clearInterval(timer);
      await within(10_000, 'every pumped record echoed', conn.waitForBytes(sentAt.length * RECORD_BYTES));
    },
    delays(sentAfter, arrivedBefore = Number.POSITIVE_INFINITY) {
      const arrived = arrivals();
      return sentAt.flatMap((at, i) => {
        const back = arrived[i];
        return at > sentAfter && back !== undefined && back < arrivedBefore ? [back - at] : [];
      });
    },
    sent: () => Buffer.concat(records),
  };
}

describe('live connections', () => {
  it('take toxics added, updated and removed mid-stream at once, without losing or reordering bytes', async () => {
    const { proxy } = await echoProxy('live');
    const conn = await openThrough(proxy);
    const stream = pump(conn);
    try {
      // Each phase is judged on records sent after its change was acknowledged and back before the next began.
      await sleep(PHASE_MS);
      const adding = performance.now();
      const latency = await proxy.addToxic({
        name: 'lag',
        type: 'latency',
        stream: 'downstream',
        toxicity: 1,
        attributes: { latency: 200, jitter: 0 },
      });
      await proxy.addToxic({
        name: 'crumbs',
        type: 'slicer',
        stream: 'upstream',
        toxicity: 1,
        attributes: { average_size: 5, size_variation: 2, delay: 0 },
      });
      const added = performance.now();
      await sleep(PHASE_MS);
      const updating = performance.now();
      await latency.update({ ...latency.toJson(), attributes: { latency: 400, jitter: 0 } });
      const updated = performance.now();
      await proxy.addToxic({ name: 'pipe', type: 'bandwidth', stream: 'upstream', toxicity: 1, attributes: { rate: 100 } });
      await sleep(PHASE_MS * 2);
      const removing = performance.now();
      await latency.remove();
      const removed = performance.now();
      await sleep(PHASE_MS);
      const clearing = performance.now();
      await suite.client.reset();
      const cleared = performance.now();
      await sleep(PHASE_MS);
      await stream.stop();

      const before = stream.delays(0, adding);
      const withLatency = stream.delays(added, updating);
      const withMoreLatency = stream.delays(updated, removing);
      const afterRemoval = stream.delays(removed, clearing);
      const afterReset = stream.delays(cleared);
      for (const phase of [before, withLatency, withMoreLatency, afterRemoval, afterReset]) expect(phase.length).toBeGreaterThan(10);
      expect(Math.max(...before)).toBeLessThan(FAST_MS);
      expect(Math.min(...withLatency)).toBeGreaterThanOrEqual(200);
      expect(Math.min(...withMoreLatency)).toBeGreaterThanOrEqual(400);
      expect(Math.max(...afterRemoval)).toBeLessThan(FAST_MS);
      expect(Math.max(...afterReset)).toBeLessThan(FAST_MS);
      expect(conn.received().equals(stream.sent())).toBe(true);
    } finally {
      await stream.stop().catch(() => undefined);
    }
  });

  it('are closed when the proxy is disabled; new ones are refused; enabling listens on the same port', async () => {
    const { proxy, echo } = await echoProxy('disable');
    const conn = await openThrough(proxy);
    expect(await roundTrip(conn, 'alive')).toBeLessThan(FAST_MS);

    const disabled = await proxy.update({ ...proxy.toJson(), enabled: false });
    expect(disabled.enabled).toBe(false);
    expect(disabled.listen).toBe(proxy.listen);
    await within(2_000, 'live client closed', conn.ended);
    await within(
      2_000,
      'upstream side closed',
      (async () => {
        while (echo.sockets.size > 0) await sleep(10);
      })(),
    );
    await expect(connect(proxy.listen)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const enabled = await disabled.update({ ...disabled.toJson(), enabled: true });
    expect(enabled.enabled).toBe(true);
    expect(enabled.listen).toBe(proxy.listen);
    const again = await openThrough(enabled);
    expect(await roundTrip(again, 'back')).toBeLessThan(FAST_MS);
  });

  it('are closed when their proxy is deleted, and the port is released', async () => {
    const { proxy } = await echoProxy('delete');
    const conn = await openThrough(proxy);
    expect(await roundTrip(conn, 'alive')).toBeLessThan(FAST_MS);
    await proxy.remove();
    await within(2_000, 'live client closed', conn.ended);
    await expect(connect(proxy.listen)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('move to the new upstream when a proxy is pointed elsewhere (old ones are dropped)', async () => {
    const { proxy } = await echoProxy('repoint');
    const conn = await openThrough(proxy);
    expect(await roundTrip(conn, 'old')).toBeLessThan(FAST_MS);
    const other = await suite.upstream(startEchoServer());
    const moved = await proxy.update({ ...proxy.toJson(), upstream: other.address });
    expect(moved.upstream).toBe(other.address);
    expect(moved.listen).toBe(proxy.listen);
    await within(2_000, 'old connection dropped', conn.ended);
    const fresh = await openThrough(moved);
    expect(await roundTrip(fresh, 'new')).toBeLessThan(FAST_MS);
    expect(other.sockets.size).toBe(1);
  });
});

describe('POST /reset', () => {
  it('re-enables every proxy and removes every toxic, live connections included', async () => {
    const { proxy: down } = await echoProxy('reset-down');
    const { proxy: slow } = await echoProxy('reset-slow');
    await down.update({ ...down.toJson(), enabled: false });
    await slow.addToxic({ name: 'lag', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1_000, jitter: 0 } });
    await slow.addToxic({ name: 'trickle', type: 'bandwidth', stream: 'upstream', toxicity: 1, attributes: { rate: 1 } });
    const live = await openThrough(slow);
    expect(await roundTrip(live, 'slow')).toBeGreaterThanOrEqual(1_000);

    await suite.client.reset();

    const all = await suite.client.getAll();
    for (const proxy of [down, slow]) {
      expect(all[proxy.name]?.enabled).toBe(true);
      expect((await suite.client.get(proxy.name)).toJson().enabled).toBe(true);
    }
    const listed = (await (await fetch(`${suite.url}/proxies/${slow.name}/toxics`)).json()) as unknown[];
    expect(listed).toEqual([]);
    expect(await roundTrip(live, 'healed')).toBeLessThan(FAST_MS);
    const revived = await openThrough(down);
    expect(await roundTrip(revived, 'revived')).toBeLessThan(FAST_MS);
  });
});

it('without toxics, carries megabytes both ways intact and quickly', async () => {
  const { proxy } = await echoProxy('throughput');
  const conn = await openThrough(proxy);
  const payload = pattern(8 * 1024 * 1024, 5);
  const start = performance.now();
  for (let offset = 0; offset < payload.length; offset += 1024) conn.socket.write(payload.subarray(offset, offset + 1024));
  await within(15_000, '8 MiB echoed', conn.waitForBytes(payload.length));
  expect(conn.received().equals(payload)).toBe(true);
  expect(performance.now() - start).toBeLessThan(10_000);
});
