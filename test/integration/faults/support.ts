// Fixtures for the fault suites: a private broker behind a proxy env, a FaultEnv over them, amqplib
// clients through either proxy, and deadlines so that nothing can hang a test.
import amqp, { type ChannelModel } from 'amqplib';
import { join } from 'node:path';
import type { FaultEnv, ProcessControl } from '../../../chaos/fault.ts';
import { StartedProxyEnv, type ProxyEndpoint } from '../../../harness/env/proxy-env.ts';
import { StartedRabbitNode } from '../../../harness/env/rabbitmq-node.ts';
import { tempDir } from '../../support/temp-dir.ts';

import { seededRandom } from '../../../load/seeded-random.ts';
import { within } from '../../support/deadlines.ts';

export { DeadlineError, sleep, uniqueName, until, within } from '../../support/deadlines.ts';
export { seededRandom };

const NO_PROCESSES: ProcessControl = {
  list: () => [],
  kill: () => Promise.reject(new Error('no system processes in this test')),
  start: () => Promise.reject(new Error('no system processes in this test')),
  pause: () => Promise.reject(new Error('no system processes in this test')),
  resume: () => Promise.reject(new Error('no system processes in this test')),
};

export interface Rig {
  dir: string;
  node: StartedRabbitNode;
  proxies: StartedProxyEnv;
  /** Fault log lines, in order. */
  log: string[];
  env(processes?: ProcessControl): FaultEnv;
  /** amqp URL through the given side's proxy. */
  urlVia(side: 'producer' | 'consumer', query?: Record<string, string | number>): string;
  /** Stops everything by PID (proxy server, broker) and removes the directory. */
  dispose(): Promise<void>;
}

/** A private broker and a proxy env (embedded Toxiproxy in its own process) in front of it. */
export async function startRig(prefix: string): Promise<Rig> {
  const dir = tempDir(prefix);
  let node: StartedRabbitNode | undefined;
  let proxies: StartedProxyEnv | undefined;
  try {
    node = await StartedRabbitNode.start({ dir: join(dir.path, 'broker') });
    proxies = await StartedProxyEnv.start({
      brokerHost: node.host,
      brokerPort: node.amqpPort,
      logFile: join(dir.path, 'logs', 'toxiproxy.log'),
    });
  } catch (err) {
    await proxies?.stop();
    await node?.dispose();
    dir.remove();
    throw err;
  }
  const startedNode = node;
  const startedProxies = proxies;
  const log: string[] = [];
  const endpoint = (side: 'producer' | 'consumer'): ProxyEndpoint => startedProxies[side];
  return {
    dir: dir.path,
    node: startedNode,
    proxies: startedProxies,
    log,
    env: (processes = NO_PROCESSES) => ({
      broker: startedNode,
      proxies: startedProxies.proxies,
      processes,
      random: seededRandom(42),
      log: (line) => log.push(line),
    }),
    urlVia(side, query = {}) {
      const { host, port } = endpoint(side);
      const url = new URL(startedNode.amqpUrl(host, port));
      for (const [key, value] of Object.entries(query)) url.searchParams.set(key, String(value));
      return url.toString();
    },
    async dispose() {
      await startedProxies.stop().catch(() => {});
      await startedNode.dispose().catch(() => {});
      dir.remove();
    },
  };
}

/** How a client connection ended. */
export interface Watched {
  connection: ChannelModel;
  /** Resolves with the time (performance.now()) the connection emitted 'close'. */
  closed: Promise<number>;
  isClosed(): boolean;
  events: string[];
}

/** Connects and records 'error', 'close', 'blocked' and 'unblocked'. */
export async function watchedConnection(url: string): Promise<Watched> {
  const connection = await amqp.connect(url);
  const events: string[] = [];
  let isClosed = false;
  connection.on('error', (err: Error) => events.push(`error: ${err.message}`));
  connection.on('blocked', (reason: string) => events.push(`blocked: ${reason}`));
  connection.on('unblocked', () => events.push('unblocked'));
  const closed = new Promise<number>((resolve) =>
    connection.once('close', () => {
      isClosed = true;
      events.push('close');
      resolve(performance.now());
    }),
  );
  return { connection, closed, isClosed: () => isClosed, events };
}

/** Closes client connections, ignoring ones already gone. */
export async function closeAll(connections: Iterable<ChannelModel>): Promise<void> {
  await Promise.all(
    [...connections].map((c) =>
      within(2_000, 'client close', c.close()).catch(() => {
        // A black-holed connection never gets its close-ok: drop the socket instead.
        (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
      }),
    ),
  );
}
