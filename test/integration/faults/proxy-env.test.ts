// Does the proxy env put a real, separately running Toxiproxy between amqplib and the broker, with
// one proxy per side, controls that heal idempotently, and a process that is gone once stopped?
import amqp from 'amqplib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { liveChildren } from '../../../harness/env/child-registry.ts';
import { Toxiproxy } from 'toxiproxy-node-client';
import { startEmbeddedToxiproxy } from '../../../chaos/toxiproxy/index.ts';
import { PROXY_NAMES, ProxyEnvError, StartedProxyEnv } from '../../../harness/env/proxy-env.ts';
import { closeAll, startRig, until, type Rig } from './support.ts';

let rig: Rig;

beforeAll(async () => {
  rig = await startRig('proxy-env');
});
afterAll(async () => {
  await rig?.dispose();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the proxy env', () => {
  it('runs the embedded server as its own registered process and proxies AMQP on both sides', async () => {
    const pid = rig.proxies.pid!;
    expect(pid).toBeGreaterThan(0);
    expect(pid).not.toBe(process.pid);
    expect(alive(pid)).toBe(true);
    expect(liveChildren()).toContainEqual({ pid, label: 'toxiproxy' });
    expect(rig.proxies.proxies.producer.name).toBe(PROXY_NAMES.producer);
    expect(rig.proxies.proxies.consumer.name).toBe(PROXY_NAMES.consumer);
    expect(rig.proxies.producer.port).not.toBe(rig.proxies.consumer.port);
    expect(rig.proxies.producer.port).not.toBe(rig.node.amqpPort);

    const urls = rig.proxies.endpoints((host, port) => rig.node.amqpUrl(host, port));
    const connections = await Promise.all([amqp.connect(urls.publishUrl), amqp.connect(urls.consumeUrl)]);
    try {
      for (const connection of connections) {
        const channel = await connection.createChannel();
        await channel.checkExchange('amq.direct');
        await channel.close();
      }
    } finally {
      await closeAll(connections);
    }
  });

  it('removes toxics by name idempotently and resets a proxy to no toxics, enabled', async () => {
    const producer = rig.proxies.proxies.producer;
    const name = await producer.addToxic({ type: 'latency', stream: 'downstream', attributes: { latency: 10, jitter: 0 } });
    expect(name).toBe('latency_downstream');
    await producer.removeToxic(name);
    await producer.removeToxic(name);
    await producer.removeToxic('never-added');

    await producer.addToxic({ name: 'slow', type: 'latency', stream: 'upstream', attributes: { latency: 10, jitter: 0 } });
    await producer.disable();
    await expect(amqp.connect(rig.urlVia('producer'))).rejects.toThrow();
    await producer.reset();
    const connection = await amqp.connect(rig.urlVia('producer'));
    await closeAll([connection]);
    await producer.removeToxic('slow');
  });

  it('stops the server process by its pid', async () => {
    const env = await StartedProxyEnv.start({
      brokerHost: rig.node.host,
      brokerPort: rig.node.amqpPort,
      logFile: join(rig.dir, 'logs', 'toxiproxy-2.log'),
    });
    const pid = env.pid!;
    const connection = await amqp.connect(rig.node.amqpUrl(env.consumer.host, env.consumer.port));
    const closed = new Promise<void>((resolve) => connection.once('close', () => resolve()));
    connection.on('error', () => {});
    await env.stop();
    expect(alive(pid)).toBe(false);
    expect(liveChildren().map((c) => c.pid)).not.toContain(pid);
    await until('client connection closed with the proxy', () => closed.then(() => true), 5_000);
    await env.stop();
  });

  it('with a Toxiproxy URL given, uses that server: no process of its own, refuses taken names, deletes only its proxies', async () => {
    const server = await startEmbeddedToxiproxy();
    try {
      const options = {
        brokerHost: rig.node.host,
        brokerPort: rig.node.amqpPort,
        logFile: join(rig.dir, 'logs', 'unused.log'),
        toxiproxyUrl: server.url,
      };
      const env = await StartedProxyEnv.start(options);
      expect(env.pid).toBeUndefined();
      expect(env.url).toBe(server.url);
      await expect(StartedProxyEnv.start(options)).rejects.toThrow(ProxyEnvError);
      const connection = await amqp.connect(rig.node.amqpUrl(env.producer.host, env.producer.port));
      await closeAll([connection]);
      await env.stop();
      expect(Object.keys(await new Toxiproxy(server.url).getAll())).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
