// Does GET /metrics count every byte a proxy passes, per proxy and direction, under the names and
// labels of a real Toxiproxy (2.6+ with -proxy-metrics), while the connection is still open, and are
// the bytes a toxic holds back counted as received but not yet as sent?
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Toxiproxy, type Proxy } from 'toxiproxy-node-client';
import { startEmbeddedToxiproxy, type StartedToxiproxy } from '../../../chaos/toxiproxy/index.ts';
import { METRICS_CONTENT_TYPE, PROXY_BYTE_COUNTERS } from '../../../chaos/toxiproxy/proxy-metrics.ts';
import { until } from '../../support/deadlines.ts';
import { createProxy, open, rawCall, removeProxies, roundTrip, startEchoServer, within, type TcpServerFixture } from './support.ts';

let toxiproxy: StartedToxiproxy;
let client: Toxiproxy;
let echo: TcpServerFixture;
const proxies: Proxy[] = [];

beforeAll(async () => {
  toxiproxy = await startEmbeddedToxiproxy();
  client = new Toxiproxy(toxiproxy.url);
  echo = await startEchoServer();
});

afterAll(async () => {
  await removeProxies(proxies);
  await echo.close();
  await toxiproxy.stop();
});

/** Every sample of the exposition as `name{labels}` -> value. */
async function scrape(): Promise<Map<string, number>> {
  const reply = await rawCall(toxiproxy.url, 'GET', '/metrics');
  expect(reply.status).toBe(200);
  expect(reply.contentType).toBe(METRICS_CONTENT_TYPE);
  const samples = new Map<string, number>();
  for (const line of reply.text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

function key(counter: string, proxy: Proxy, direction: 'upstream' | 'downstream'): string {
  return `${counter}{direction="${direction}",listener="${proxy.listen}",proxy="${proxy.name}",upstream="${proxy.upstream}"}`;
}

describe('GET /metrics', () => {
  it("declares both of Toxiproxy's byte counters before any traffic", async () => {
    const reply = await rawCall(toxiproxy.url, 'GET', '/metrics');
    for (const name of Object.values(PROXY_BYTE_COUNTERS)) expect(reply.text).toContain(`# TYPE ${name} counter\n`);
  });

  it('counts each direction of each proxy while the connection is open', async () => {
    const a = await createProxy(client, 'metrics-a', echo.address);
    const b = await createProxy(client, 'metrics-b', echo.address);
    proxies.push(a, b);
    const throughA = await open(a.listen);
    const throughB = await open(b.listen);
    await roundTrip(throughA, Buffer.alloc(3000, 1));
    await roundTrip(throughB, Buffer.alloc(700, 2));
    const samples = await scrape();
    for (const counter of Object.values(PROXY_BYTE_COUNTERS)) {
      for (const direction of ['upstream', 'downstream'] as const) {
        expect(samples.get(key(counter, a, direction)), `${counter} ${direction} a`).toBe(3000);
        expect(samples.get(key(counter, b, direction)), `${counter} ${direction} b`).toBe(700);
      }
    }
    throughA.socket.destroy();
    throughB.socket.destroy();
  });

  it('counts bytes a toxic holds back as received, and as sent only once they go out', async () => {
    const proxy = await createProxy(client, 'metrics-latency', echo.address);
    proxies.push(proxy);
    await proxy.addToxic({ name: 'slow', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 800, jitter: 0 } });
    const recorder = await open(proxy.listen);
    recorder.socket.write(Buffer.alloc(500, 3));
    await until(
      'bytes read by the proxy',
      async () => ((await scrape()).get(key(PROXY_BYTE_COUNTERS.received, proxy, 'upstream')) === 500 ? true : undefined),
      2_000,
      20,
    );
    // Held by the latency toxic: received, not sent yet.
    expect((await scrape()).get(key(PROXY_BYTE_COUNTERS.sent, proxy, 'upstream'))).toBe(0);
    await within(5_000, 'echo', recorder.waitForBytes(500));
    const after = await scrape();
    expect(after.get(key(PROXY_BYTE_COUNTERS.sent, proxy, 'upstream'))).toBe(500);
    expect(after.get(key(PROXY_BYTE_COUNTERS.received, proxy, 'downstream'))).toBe(500);
    recorder.socket.destroy();
  });
});
