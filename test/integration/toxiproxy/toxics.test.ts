// Does each toxic do to real TCP traffic what Toxiproxy's does? Driven only through toxiproxy-node-client
// and sockets to local upstreams. Lower bounds are exact (a toxic must never be early); upper bounds leave
// room for a loaded 2-core machine but stay far below what a missing toxic would produce.
import { describe, expect, it } from 'vitest';
import {
  closesWithin,
  pattern,
  record,
  roundTrip,
  sleep,
  startEchoServer,
  startTcpServer,
  useEmbeddedToxiproxy,
  within,
  type Recorder,
  type TcpServerFixture,
} from './support.ts';

/** Scheduling noise allowed on top of a configured delay. */
const SLACK_MS = 250;
/** Anything through a proxy without toxics round-trips well under this on loopback. */
const FAST_MS = 150;
const BANDWIDTH_TOLERANCE = 0.1;

const { upstream, proxyTo, openThrough } = useEmbeddedToxiproxy();

/** An upstream that writes `payload` to every client as soon as it connects (and optionally closes). */
function sender(payload: Buffer, end = false): Promise<TcpServerFixture> {
  return startTcpServer((socket) => (end ? socket.end(payload) : socket.write(payload)));
}

/** An upstream that records what each client sends; `next()` yields the recorder of the next connection. */
async function sink(): Promise<{ fixture: TcpServerFixture; next: () => Promise<Recorder> }> {
  const arrivals: Recorder[] = [];
  const waiting: Array<(recorder: Recorder) => void> = [];
  const fixture = await upstream(
    startTcpServer((socket) => {
      const recorder = record(socket);
      const waiter = waiting.shift();
      if (waiter) waiter(recorder);
      else arrivals.push(recorder);
    }),
  );
  const next = (): Promise<Recorder> => {
    const ready = arrivals.shift();
    return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
  };
  return { fixture, next };
}

describe('latency', () => {
  it('delays every chunk by `latency` ms, and latencies of both directions add up', async () => {
    const proxy = await proxyTo('latency', await upstream(startEchoServer()));
    const conn = await openThrough(proxy);
    expect(await roundTrip(conn, 'warm-up')).toBeLessThan(FAST_MS);

    await proxy.addToxic({
      name: 'slow-down',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 300, jitter: 0 },
    });
    for (let i = 0; i < 3; i++) {
      const rtt = await roundTrip(conn, `ping-${i}`);
      expect(rtt).toBeGreaterThanOrEqual(300);
      expect(rtt).toBeLessThan(300 + SLACK_MS);
    }

    await proxy.addToxic({ name: 'slow-up', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 200, jitter: 0 } });
    const both = await roundTrip(conn, 'both-ways');
    expect(both).toBeGreaterThanOrEqual(500);
    expect(both).toBeLessThan(500 + SLACK_MS);
  });

  it('jitter spreads each delay uniformly over [latency - jitter, latency + jitter)', async () => {
    const proxy = await proxyTo('jitter', await upstream(startEchoServer()));
    await proxy.addToxic({
      name: 'jittery',
      type: 'latency',
      stream: 'downstream',
      toxicity: 1,
      attributes: { latency: 200, jitter: 100 },
    });
    const conn = await openThrough(proxy);
    const samples: number[] = [];
    for (let i = 0; i < 15; i++) samples.push(await roundTrip(conn, `j${i}`));
    for (const rtt of samples) {
      expect(rtt).toBeGreaterThanOrEqual(100);
      expect(rtt).toBeLessThan(300 + SLACK_MS);
    }
    // 15 uniform draws over 200 ms landing within 40 ms of each other would mean jitter is ignored.
    expect(Math.max(...samples) - Math.min(...samples)).toBeGreaterThan(40);
  });
});

describe('bandwidth', () => {
  it('throttles downstream to `rate` KB/s within 10%', async () => {
    const total = 150_000;
    const rateKBps = 100;
    const proxy = await proxyTo('bw-down', await upstream(sender(pattern(total))));
    await proxy.addToxic({ name: 'bw', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: rateKBps } });
    const start = performance.now();
    const conn = await openThrough(proxy);
    await within(10_000, 'throttled download', conn.waitForBytes(total));
    const expectedMs = total / rateKBps;
    expect(Math.abs(performance.now() - start - expectedMs) / expectedMs).toBeLessThan(BANDWIDTH_TOLERANCE);
    expect(conn.received().equals(pattern(total))).toBe(true);
  });

  it('throttles upstream to `rate` KB/s within 10%', async () => {
    const total = 300_000;
    const rateKBps = 200;
    const { fixture, next } = await sink();
    const proxy = await proxyTo('bw-up', fixture);
    await proxy.addToxic({ name: 'bw', type: 'bandwidth', stream: 'upstream', toxicity: 1, attributes: { rate: rateKBps } });
    const conn = await openThrough(proxy);
    const arrival = next();
    const start = performance.now();
    conn.socket.write(pattern(total, 7));
    const server = await within(5_000, 'upstream connection', arrival);
    await within(10_000, 'throttled upload', server.waitForBytes(total));
    const expectedMs = total / rateKBps;
    expect(Math.abs(performance.now() - start - expectedMs) / expectedMs).toBeLessThan(BANDWIDTH_TOLERANCE);
    expect(server.received().equals(pattern(total, 7))).toBe(true);
  });
});

describe('limit_data', () => {
  it('forwards exactly `bytes` bytes downstream, then closes the connection', async () => {
    const proxy = await proxyTo('limit-down', await upstream(sender(pattern(5_000))));
    await proxy.addToxic({ name: 'cap', type: 'limit_data', stream: 'downstream', toxicity: 1, attributes: { bytes: 1_000 } });
    const conn = await openThrough(proxy);
    await within(3_000, 'close after the limit', conn.ended);
    expect(conn.received().equals(pattern(5_000).subarray(0, 1_000))).toBe(true);
  });

  it('forwards exactly `bytes` bytes upstream, then closes the connection', async () => {
    const { fixture, next } = await sink();
    const proxy = await proxyTo('limit-up', fixture);
    await proxy.addToxic({ name: 'cap', type: 'limit_data', stream: 'upstream', toxicity: 1, attributes: { bytes: 700 } });
    const conn = await openThrough(proxy);
    const server = await within(5_000, 'upstream connection', next());
    conn.socket.write(pattern(3_000, 3));
    await within(3_000, 'upstream closed after the limit', server.ended);
    await within(3_000, 'client closed after the limit', conn.ended);
    expect(server.received().equals(pattern(3_000, 3).subarray(0, 700))).toBe(true);
  });
});

describe('reset_peer', () => {
  it('resets both sides `timeout` ms after the first data, dropping it', async () => {
    const { fixture, next } = await sink();
    const proxy = await proxyTo('reset', fixture);
    await proxy.addToxic({ name: 'rst', type: 'reset_peer', stream: 'upstream', toxicity: 1, attributes: { timeout: 300 } });
    const conn = await openThrough(proxy);
    const server = await within(5_000, 'upstream connection', next());
    const sent = performance.now();
    conn.socket.write('hello');
    const clientEnd = await within(3_000, 'client reset', conn.ended);
    const serverEnd = await within(3_000, 'upstream reset', server.ended);
    expect(clientEnd.error?.code).toBe('ECONNRESET');
    expect(serverEnd.error?.code).toBe('ECONNRESET');
    expect(clientEnd.at - sent).toBeGreaterThanOrEqual(295);
    expect(server.receivedLength()).toBe(0);
  });
});

describe('timeout', () => {
  it('with 0, swallows data and holds the connection open; removing it closes the connection', async () => {
    const proxy = await proxyTo('timeout0', await upstream(startEchoServer()));
    const toxic = await proxy.addToxic({
      name: 'blackhole',
      type: 'timeout',
      stream: 'downstream',
      toxicity: 1,
      attributes: { timeout: 0 },
    });
    const conn = await openThrough(proxy);
    conn.socket.write('anyone there?');
    expect(await closesWithin(conn, 1_000)).toBe(false);
    expect(conn.receivedLength()).toBe(0);
    await toxic.remove();
    expect(await closesWithin(conn, 1_000)).toBe(true);
    expect(conn.receivedLength()).toBe(0);
  });

  it('with N, closes the connection after about N ms', async () => {
    const proxy = await proxyTo('timeoutN', await upstream(startEchoServer()));
    await proxy.addToxic({ name: 'hangup', type: 'timeout', stream: 'downstream', toxicity: 1, attributes: { timeout: 500 } });
    const start = performance.now();
    const conn = await openThrough(proxy);
    const ending = await within(3_000, 'timeout close', conn.ended);
    expect(ending.at - start).toBeGreaterThanOrEqual(480);
    expect(ending.at - start).toBeLessThan(500 + SLACK_MS * 2);
  });
});

describe('slicer', () => {
  it('delivers every byte intact, in many more reads than without it', async () => {
    const payload = pattern(5_000, 11);
    const target = await upstream(sender(payload));
    const plain = await openThrough(await proxyTo('unsliced', target));
    await within(3_000, 'unsliced payload', plain.waitForBytes(payload.length));

    const proxy = await proxyTo('slicer', target);
    await proxy.addToxic({
      name: 'knife',
      type: 'slicer',
      stream: 'downstream',
      toxicity: 1,
      attributes: { average_size: 100, size_variation: 20, delay: 2_000 },
    });
    const conn = await openThrough(proxy);
    await within(5_000, 'sliced payload', conn.waitForBytes(payload.length));
    expect(conn.received().equals(payload)).toBe(true);
    expect(plain.chunks.length).toBeLessThanOrEqual(3);
    expect(conn.chunks.length).toBeGreaterThanOrEqual(10);
  });
});

describe('slow_close', () => {
  it('delays the close by `delay` ms but not the data', async () => {
    const target = await upstream(sender(Buffer.from('bye'), true));
    const plain = await openThrough(await proxyTo('fast-close', target));
    const plainEnd = await within(3_000, 'plain close', plain.ended);
    expect(plainEnd.at - (plain.chunkTimes[0] ?? 0)).toBeLessThan(FAST_MS);

    const proxy = await proxyTo('slow-close', target);
    await proxy.addToxic({ name: 'linger', type: 'slow_close', stream: 'downstream', toxicity: 1, attributes: { delay: 700 } });
    const conn = await openThrough(proxy);
    const ending = await within(3_000, 'slow close', conn.ended);
    expect(conn.received().toString()).toBe('bye');
    const sinceData = ending.at - (conn.chunkTimes[0] ?? Number.NaN);
    expect(sinceData).toBeGreaterThanOrEqual(650);
    expect(sinceData).toBeLessThan(700 + SLACK_MS);
  });
});

describe('toxicity', () => {
  it('0 never applies the toxic; raising it to 1 applies it to the live connection', async () => {
    const proxy = await proxyTo('toxicity', await upstream(startEchoServer()));
    const toxic = await proxy.addToxic({
      name: 'maybe',
      type: 'latency',
      stream: 'downstream',
      toxicity: 0,
      attributes: { latency: 1_000, jitter: 0 },
    });
    let last: Recorder | undefined;
    for (let i = 0; i < 5; i++) {
      last = await openThrough(proxy);
      expect(await roundTrip(last, `t${i}`)).toBeLessThan(FAST_MS * 2);
    }
    await toxic.update({ ...toxic.toJson(), toxicity: 1 });
    expect(await roundTrip(last as Recorder, 'now-toxic')).toBeGreaterThanOrEqual(1_000);
  });
});

it('a toxic of another direction leaves this one alone', async () => {
  const proxy = await proxyTo('direction', await upstream(startEchoServer()));
  await proxy.addToxic({ name: 'up-only', type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } });
  const conn = await openThrough(proxy);
  conn.socket.write('lost');
  await sleep(300);
  expect(conn.receivedLength()).toBe(0);
});
