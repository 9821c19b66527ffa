// Do the connection flaws break the system the way the article's code would, where the reference
// system survives? After a connection cut heals, a `no-reconnect` API stays disconnected while the
// reference API comes back; under a black hole, a `no-heartbeat` API never notices while the
// reference API (1 s heartbeat) does within seconds.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blackhole } from '../../../chaos/faults/blackhole.ts';
import { connectionCut } from '../../../chaos/faults/connection-cut.ts';
import type { FlawName } from '../../../system/flaws.ts';
import { StartedReferenceSystem } from '../../support/reference-system.ts';
import { sleep, startRig, until, type Rig } from './support.ts';

const HEARTBEAT_SECONDS = 1;
/** How long a flawed API must stay in its wrong state for the test to call it stuck. */
const STUCK_WINDOW_MS = 6_000;
const RECOVER_MS = 10_000;

let rig: Rig;
const systems: Record<'reference' | 'noReconnect' | 'noHeartbeat' | 'flawedWorker', StartedReferenceSystem> = {} as never;

beforeAll(async () => {
  rig = await startRig('flaws');
  const endpoints = rig.proxies.endpoints((host, port) => rig.node.amqpUrl(host, port));
  const apiOnly = (flaws: FlawName[]) => ({
    instances: { orders: 0, payments: 0, inventory: 0, notifications: 0, 'dead-letter': 0 },
    flaws,
    heartbeatSeconds: HEARTBEAT_SECONDS,
  });
  try {
    systems.reference = await StartedReferenceSystem.start(join(rig.dir, 'reference'), endpoints, apiOnly([]));
    systems.noReconnect = await StartedReferenceSystem.start(join(rig.dir, 'no-reconnect'), endpoints, apiOnly(['no-reconnect']));
    systems.noHeartbeat = await StartedReferenceSystem.start(join(rig.dir, 'no-heartbeat'), endpoints, apiOnly(['no-heartbeat']));
    // A worker with both flaws: do they reach its consuming connection too?
    systems.flawedWorker = await StartedReferenceSystem.start(join(rig.dir, 'flawed-worker'), endpoints, {
      ...apiOnly(['no-heartbeat', 'no-reconnect']),
      instances: { orders: 0, payments: 1, inventory: 0, notifications: 0, 'dead-letter': 0 },
    });
  } catch (err) {
    await stopSystems();
    await rig.dispose();
    throw err;
  }
});
afterAll(async () => {
  await stopSystems();
  await rig?.dispose();
});

async function stopSystems(): Promise<void> {
  await Promise.all(Object.values(systems).map((s) => s.stop()));
}

async function health(system: StartedReferenceSystem): Promise<number> {
  const response = await fetch(`${system.apiUrl}/health`, { signal: AbortSignal.timeout(2_000) });
  return response.status;
}

/** Negotiated heartbeat (seconds) of each connection by name (every system's API is `api-1`), from the management API. */
async function heartbeats(): Promise<[string, number][]> {
  const auth = Buffer.from(`${rig.node.user}:${rig.node.password}`).toString('base64');
  const response = await fetch(`${rig.node.managementUrl}/api/connections`, { headers: { authorization: `Basic ${auth}` } });
  const connections = (await response.json()) as { timeout: number; client_properties?: { connection_name?: string } }[];
  return connections.map((c) => [c.client_properties?.connection_name ?? '?', c.timeout]);
}

async function paymentConsumers(): Promise<number> {
  const out = await rig.node.ctl('list_queues', '--quiet', '--no-table-headers', 'name', 'consumers');
  const line = out.split('\n').find((l) => l.split('\t')[0] === 'payment.process');
  return Number(line?.split('\t')[1] ?? NaN);
}

/** Samples /health for `ms`; returns every status seen. */
async function statusesOver(system: StartedReferenceSystem, ms: number): Promise<Set<number>> {
  const seen = new Set<number>();
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    seen.add(await health(system));
    await sleep(250);
  }
  return seen;
}

describe('flaws on a worker', () => {
  it('no-heartbeat turns heartbeats off on the consuming connection as well as the publishing one', async () => {
    const seen = await until('worker connections listed', async () => {
      const list = await heartbeats();
      return list.filter(([name]) => name.startsWith('payments-1')).length === 2 ? list : undefined;
    });
    expect(seen.filter(([name]) => name.startsWith('payments-1'))).toEqual(
      expect.arrayContaining([
        ['payments-1 publish', 0],
        ['payments-1 consume', 0],
      ]),
    );
    // Four APIs: reference and no-reconnect negotiate the configured heartbeat; no-heartbeat and the flawed worker's, none.
    expect(
      seen
        .filter(([name]) => name === 'api-1 publish')
        .map(([, timeout]) => timeout)
        .sort(),
    ).toEqual([0, 0, HEARTBEAT_SECONDS, HEARTBEAT_SECONDS]);
  });

  it('no-reconnect leaves the queue without its consumer after a consumer-side cut heals', async () => {
    expect(await paymentConsumers()).toBe(1);
    const env = rig.env();
    const fault = connectionCut({ side: 'consumer' });
    await fault.start(env);
    try {
      await until('consumer gone with the cut', async () => ((await paymentConsumers()) === 0 ? true : undefined), 5_000);
    } finally {
      await fault.stop(env);
    }
    await sleep(STUCK_WINDOW_MS);
    expect(await paymentConsumers()).toBe(0);
    expect(systems.flawedWorker.workers[0]!.running).toBe(true);
  });
});

describe('no-reconnect', () => {
  it('stays disconnected after a connection cut heals, while the reference API reconnects', async () => {
    expect(await health(systems.reference)).toBe(200);
    expect(await health(systems.noReconnect)).toBe(200);
    const env = rig.env();
    const fault = connectionCut({ side: 'producer' });
    await fault.start(env);
    try {
      await until('reference notices the cut', async () => ((await health(systems.reference)) === 503 ? true : undefined), 5_000);
      await until('no-reconnect notices the cut', async () => ((await health(systems.noReconnect)) === 503 ? true : undefined), 5_000);
    } finally {
      await fault.stop(env);
    }
    const healed = performance.now();
    await until('reference reconnects', async () => ((await health(systems.reference)) === 200 ? true : undefined), RECOVER_MS);
    console.log(`no-reconnect: reference API healthy again ${(performance.now() - healed).toFixed(0)} ms after the heal`);
    expect(await statusesOver(systems.noReconnect, STUCK_WINDOW_MS)).toEqual(new Set([503]));

    const order = await fetch(`${systems.noReconnect.apiUrl}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'u1', items: [{ productId: 'p1', quantity: 1, price: 1.5 }] }),
    });
    expect(order.status).toBe(503);
  });
});

describe('no-heartbeat', () => {
  it('never notices a black-holed connection, while the reference API (1 s heartbeat) does', async () => {
    await until('reference healthy', async () => ((await health(systems.reference)) === 200 ? true : undefined), RECOVER_MS);
    expect(await health(systems.noHeartbeat)).toBe(200);
    const env = rig.env();
    const fault = blackhole({ side: 'producer' });
    const started = performance.now();
    await fault.start(env);
    try {
      await until('reference notices the black hole', async () => ((await health(systems.reference)) === 503 ? true : undefined), 8_000);
      console.log(`no-heartbeat: reference API unhealthy ${(performance.now() - started).toFixed(0)} ms into the black hole`);
      expect(await statusesOver(systems.noHeartbeat, STUCK_WINDOW_MS)).toEqual(new Set([200]));
    } finally {
      await fault.stop(env);
    }
    // The heal closes the held connection: now even the flawed API learns, and its recovery reconnects.
    await until('reference healthy after the heal', async () => ((await health(systems.reference)) === 200 ? true : undefined), RECOVER_MS);
    await until(
      'no-heartbeat healthy after the heal',
      async () => ((await health(systems.noHeartbeat)) === 200 ? true : undefined),
      RECOVER_MS,
    );
  });
});
