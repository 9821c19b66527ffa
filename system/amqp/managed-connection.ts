import amqp, { type ChannelModel } from 'amqplib';
import type { FlawName } from '../flaws.ts';
import type { HistoryWriter } from '../../instrument/history-writer.ts';
import { describeEndpoint, NodeRotation } from './node-rotation.ts';

/** Reconnect backoff: fast enough to recover within a second or two of the broker coming back. */
const RECONNECT = { initialDelay: 200, maxDelay: 2_000, factor: 2, jitter: 0.2 } as const;
/**
 * Bound on TCP connect plus the AMQP opening handshake. Heartbeats only start once the handshake is
 * done, and amqplib's recovery runs one attempt at a time: a handshake stalled on a link that drops
 * everything (a cut that swallows bytes before it closes, a broker still booting) would otherwise
 * leave the process disconnected for good. chaos-mix caught the dead-letter auditor that way once,
 * after a broker kill healed into a connection cut.
 */
const CONNECT_TIMEOUT_MS = 5_000;

export interface ManagedConnectionOptions {
  /** The broker: one URL, or every node of a cluster in node order (the connection fails over along them). */
  url: string | readonly string[];
  /** Shown in RabbitMQ as the connection name: which process, which purpose. */
  name: string;
  heartbeatSeconds: number;
  history: HistoryWriter;
  /** Runs after every successful (re)connect: declare topology, open channels, subscribe. */
  setup: (model: ChannelModel) => Promise<void>;
  /** Runs when the connection is lost, before any reconnect: forget channels that died with it. */
  onDisconnect: () => void;
  /** Flaws that shape the connection (`no-heartbeat`, `no-reconnect`, `single-node-client`); the reference has none. */
  flaws: readonly FlawName[];
}

export interface ManagedConnection {
  /** Forces a reconnect, e.g. when a channel died but the connection did not. */
  recycle(): void;
  close(): Promise<void>;
}

/**
 * The URLs a connection may use, in the order it tries them: every node given, or, with the
 * `single-node-client` or `no-reconnect` flaw, the first alone.
 */
export function nodeUrls(url: string | readonly string[], flaws: readonly FlawName[]): string[] {
  const urls = typeof url === 'string' ? [url] : [...url];
  return flaws.includes('single-node-client') || flaws.includes('no-reconnect') ? urls.slice(0, 1) : urls;
}

/**
 * A connection that comes back by itself: amqplib's built-in recovery (exponential backoff with
 * jitter) reconnects, and `setup` re-declares the topology and re-subscribes every time, which the
 * article's reconnect-on-error never did. Given several nodes, it fails over: each attempt after a
 * failed one or a lost connection goes to the next node (NodeRotation), and every `connected`
 * event names the node it reached.
 */
export async function openManagedConnection(options: ManagedConnectionOptions): Promise<ManagedConnection> {
  const flaws = new Set(options.flaws);
  // amqplib 2: heartbeat 0 means off, on both sides once negotiated.
  const heartbeatSeconds = flaws.has('no-heartbeat') ? 0 : options.heartbeatSeconds;
  const urls = nodeUrls(options.url, options.flaws);
  if (flaws.has('no-reconnect')) return openUnmanagedConnection(options, urls[0]!, heartbeatSeconds);
  const { history, name } = options;
  const nodes = new NodeRotation(urls, heartbeatSeconds);
  let current: ChannelModel | null = null;
  const connection = await amqp.connect(nodes.target, {
    clientProperties: { connection_name: name },
    timeout: CONNECT_TIMEOUT_MS,
    recovery: {
      ...RECONNECT,
      waitForConnect: false,
      setup: async (model: ChannelModel) => {
        current = model;
        await options.setup(model);
      },
    },
  });
  const where = () => describeEndpoint(nodes.current);
  connection.on('connect', () => history.append({ kind: 'lifecycle', event: 'connected', detail: `${name}: ${where()}` }));
  // Both are emitted just before amqplib schedules the next attempt: the place to move on to the next node.
  connection.on('disconnect', (err: Error) => {
    current = null;
    options.onDisconnect();
    history.append({ kind: 'lifecycle', event: 'disconnected', detail: `${name}: ${err.message} (${where()})` });
    nodes.advance();
  });
  connection.on('connect-failed', (err: Error) => {
    current = null;
    options.onDisconnect();
    history.append({ kind: 'lifecycle', event: 'disconnected', detail: `${name}: connect failed: ${err.message} (${where()})` });
    nodes.advance();
  });
  connection.on('blocked', (reason: string) => history.append({ kind: 'lifecycle', event: 'blocked', detail: `${name}: ${reason}` }));
  connection.on('unblocked', () => history.append({ kind: 'lifecycle', event: 'unblocked', detail: name }));
  // Without a listener an 'error' event would crash the process; recovery handles the reconnect.
  connection.on('error', () => {});
  await connection.waitForConnect();
  return {
    recycle() {
      const model = current;
      current = null;
      model?.close().catch(() => {});
    },
    close: () => connection.close().catch(() => {}),
  };
}

/**
 * The `no-reconnect` flaw, after the article: a plain `amqp.connect`, topology declared and
 * consumers subscribed once. When the connection goes, its channels go with it and nothing brings
 * them back: publishes fail, consumers are gone, until the process is restarted.
 */
async function openUnmanagedConnection(
  options: ManagedConnectionOptions,
  url: string,
  heartbeatSeconds: number,
): Promise<ManagedConnection> {
  const { history, name } = options;
  const connection = await amqp.connect(withHeartbeat(url, heartbeatSeconds), { clientProperties: { connection_name: name } });
  let closing = false;
  // Without a listener an 'error' event would crash the process; 'close' follows it.
  connection.on('error', () => {});
  connection.on('close', (err?: Error) => {
    options.onDisconnect();
    if (!closing)
      history.append({
        kind: 'lifecycle',
        event: 'disconnected',
        detail: `${name}: ${err?.message ?? 'closed'} (no-reconnect: staying disconnected)`,
      });
  });
  connection.on('blocked', (reason: string) => history.append({ kind: 'lifecycle', event: 'blocked', detail: `${name}: ${reason}` }));
  connection.on('unblocked', () => history.append({ kind: 'lifecycle', event: 'unblocked', detail: name }));
  try {
    await options.setup(connection);
  } catch (err) {
    closing = true;
    await connection.close().catch(() => {});
    throw err;
  }
  history.append({ kind: 'lifecycle', event: 'connected', detail: `${name}: ${new URL(url).host}` });
  return {
    // A dead channel stays dead: the article never noticed one.
    recycle() {},
    close: async () => {
      closing = true;
      await connection.close().catch(() => {});
    },
  };
}

function withHeartbeat(url: string, heartbeatSeconds: number): string {
  const u = new URL(url);
  u.searchParams.set('heartbeat', String(heartbeatSeconds));
  return u.toString();
}
