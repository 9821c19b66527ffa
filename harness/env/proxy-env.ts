import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { Toxic, Toxiproxy, type Proxy, type ToxicType as ClientToxicType } from 'toxiproxy-node-client';
import type { ProxyControl, ProxyControls, ToxicSpec } from '../../chaos/fault.ts';
import { logTail, terminate } from './child-exit.ts';
import { registerChild } from './child-registry.ts';
import type { TargetEndpoints } from '../target/target.ts';
import { REPO_ROOT } from './repo-root.ts';

/** Set it to use a real Toxiproxy (e.g. http://127.0.0.1:8474) instead of the embedded one. */
export const TOXIPROXY_URL_ENV = 'TOXIPROXY_URL';
export const PROXY_NAMES = { producer: 'amqp-producer', consumer: 'amqp-consumer' } as const;

const EMBEDDED_ENTRY = 'chaos/toxiproxy/main.ts';
const LOOPBACK = '127.0.0.1';
/** tsx compiles the server on first start: a couple of seconds here, more on a loaded machine. */
const ANNOUNCE_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

export class ProxyEnvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxyEnvError';
  }
}

export interface ProxyEnvOptions {
  brokerHost: string;
  brokerPort: number;
  /**
   * The other nodes of a cluster (node 2, 3, ...): each gets its own pair of proxies
   * (`amqp-producer-node2`, `amqp-consumer-node2`, ...), so a client failing over to another node
   * still goes through a proxy and network faults still apply to it.
   */
  otherNodes?: readonly ProxyEndpoint[];
  /** Output of the embedded server (unused with a real Toxiproxy). */
  logFile: string;
  /** A real Toxiproxy's API; defaults to $TOXIPROXY_URL; unset = spawn the embedded one. */
  toxiproxyUrl?: string;
}

export interface ProxyEndpoint {
  host: string;
  port: number;
}

interface ToxicListEntry {
  name: string;
  type: string;
  stream: 'upstream' | 'downstream';
  toxicity: number;
  attributes: unknown;
}

/** One Toxiproxy proxy, driven through toxiproxy-node-client. */
class ToxiproxyProxyControl implements ProxyControl {
  #proxy: Proxy;

  constructor(proxy: Proxy) {
    this.#proxy = proxy;
  }

  get name(): string {
    return this.#proxy.name;
  }

  async addToxic(spec: ToxicSpec): Promise<string> {
    const name = spec.name ?? `${spec.type}_${spec.stream}`;
    await this.#proxy.addToxic({
      name,
      type: spec.type satisfies ClientToxicType,
      stream: spec.stream,
      toxicity: spec.toxicity ?? 1,
      attributes: spec.attributes,
    });
    return name;
  }

  async removeToxic(name: string): Promise<void> {
    const toxic = (await this.#toxics()).find((t) => t.name === name);
    if (!toxic) return;
    try {
      await this.#asToxic(toxic).remove();
    } catch (err) {
      // Someone else removed it in the meantime: gone is what we wanted.
      if ((await this.#toxics()).some((t) => t.name === name)) throw err;
    }
  }

  disable(): Promise<void> {
    return this.#setEnabled(false);
  }

  enable(): Promise<void> {
    return this.#setEnabled(true);
  }

  async reset(): Promise<void> {
    await Promise.all((await this.#toxics()).map((t) => this.removeToxic(t.name)));
    await this.enable();
  }

  async #setEnabled(enabled: boolean): Promise<void> {
    // The client sends all three fields; listen keeps the real port the proxy got from port 0.
    this.#proxy = await this.#proxy.update({ enabled, listen: this.#proxy.listen, upstream: this.#proxy.upstream });
  }

  async #toxics(): Promise<ToxicListEntry[]> {
    const { data } = await this.#proxy.api.get<ToxicListEntry[]>(`${this.#proxy.getPath()}/toxics`);
    return data ?? [];
  }

  #asToxic(entry: ToxicListEntry): Toxic<unknown> {
    return new Toxic(this.#proxy.api, this.#proxy.getPath(), { ...entry, type: entry.type as ClientToxicType });
  }
}

/**
 * One side (producer or consumer) of every node: a fault on `producer` hits the publishing
 * connections whichever node they reached, as it would on a single broker.
 */
class ProxyGroupControl implements ProxyControl {
  readonly #members: readonly ProxyControl[];

  constructor(members: readonly ProxyControl[]) {
    this.#members = members;
  }

  get name(): string {
    return this.#members[0]!.name;
  }

  async addToxic(spec: ToxicSpec): Promise<string> {
    const [name] = await Promise.all(this.#members.map((m) => m.addToxic(spec)));
    return name!;
  }

  async removeToxic(name: string): Promise<void> {
    await Promise.all(this.#members.map((m) => m.removeToxic(name)));
  }

  async disable(): Promise<void> {
    await Promise.all(this.#members.map((m) => m.disable()));
  }

  async enable(): Promise<void> {
    await Promise.all(this.#members.map((m) => m.enable()));
  }

  async reset(): Promise<void> {
    await Promise.all(this.#members.map((m) => m.reset()));
  }
}

/** A node's two proxies' listen addresses. */
export interface NodeProxyEndpoints {
  producer: ProxyEndpoint;
  consumer: ProxyEndpoint;
}

/**
 * The network between the system and the broker: two Toxiproxy proxies in front of the broker,
 * `amqp-producer` for every publishing connection and `amqp-consumer` for every consuming one, so a
 * fault can hit one side alone. By default the embedded Toxiproxy-compatible server runs as its own
 * OS process (registered by PID, exits if we vanish); with $TOXIPROXY_URL a real Toxiproxy is used.
 */
export class StartedProxyEnv implements AsyncDisposable {
  /** The Toxiproxy API, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** Node 1's proxies (the only node of a single broker). */
  readonly producer: ProxyEndpoint;
  readonly consumer: ProxyEndpoint;
  /** Every node's proxies, in node order (one entry on a single broker). */
  readonly nodes: readonly NodeProxyEndpoints[];
  /** What faults get as `env.proxies`: each side across every node. */
  readonly proxies: ProxyControls;
  readonly #created: Proxy[];
  readonly #server: EmbeddedServer | null;
  #stopped: Promise<void> | null = null;

  private constructor(url: string, pairs: readonly (readonly [Proxy, Proxy])[], server: EmbeddedServer | null) {
    this.url = url;
    this.#created = pairs.flat();
    this.#server = server;
    this.nodes = pairs.map(([producer, consumer]) => ({ producer: endpointOf(producer), consumer: endpointOf(consumer) }));
    this.producer = this.nodes[0]!.producer;
    this.consumer = this.nodes[0]!.consumer;
    const side = (k: 0 | 1) => {
      const controls = pairs.map((pair) => new ToxiproxyProxyControl(pair[k]));
      return controls.length === 1 ? controls[0]! : new ProxyGroupControl(controls);
    };
    this.proxies = { producer: side(0), consumer: side(1) };
  }

  static async start(options: ProxyEnvOptions): Promise<StartedProxyEnv> {
    const external = options.toxiproxyUrl ?? process.env[TOXIPROXY_URL_ENV];
    const server = external ? null : await EmbeddedServer.spawn(options.logFile);
    const url = external ?? server!.url;
    const created: Proxy[] = [];
    try {
      const client = new Toxiproxy(url.replace(/\/+$/, ''));
      const upstreams = [{ host: options.brokerHost, port: options.brokerPort }, ...(options.otherNodes ?? [])];
      const pairs: [Proxy, Proxy][] = [];
      for (const [i, node] of upstreams.entries()) {
        const suffix = i === 0 ? '' : `-node${i + 1}`;
        const upstream = `${node.host}:${node.port}`;
        const producer = await createProxy(client, url, PROXY_NAMES.producer + suffix, upstream);
        created.push(producer);
        const consumer = await createProxy(client, url, PROXY_NAMES.consumer + suffix, upstream);
        created.push(consumer);
        pairs.push([producer, consumer]);
      }
      return new StartedProxyEnv(url, pairs, server);
    } catch (err) {
      // A real Toxiproxy outlives us: remove what we created there.
      await Promise.all(created.map((proxy) => proxy.remove().catch(() => {})));
      await server?.stop();
      throw err;
    }
  }

  /** The embedded server's PID (undefined with a real Toxiproxy, which is not ours to stop). */
  get pid(): number | undefined {
    return this.#server?.pid;
  }

  /**
   * AMQP URLs for the target: publishing through `amqp-producer`, consuming through `amqp-consumer`;
   * with a cluster also every node's, in node order (the nodes share their credentials).
   */
  endpoints(
    amqpUrl: (host: string, port: number) => string,
  ): Pick<TargetEndpoints, 'publishUrl' | 'consumeUrl' | 'publishUrls' | 'consumeUrls'> {
    const publishUrls = this.nodes.map((n) => amqpUrl(n.producer.host, n.producer.port));
    const consumeUrls = this.nodes.map((n) => amqpUrl(n.consumer.host, n.consumer.port));
    return {
      publishUrl: publishUrls[0]!,
      consumeUrl: consumeUrls[0]!,
      ...(this.nodes.length > 1 ? { publishUrls, consumeUrls } : {}),
    };
  }

  /**
   * Heals our proxies: enabled, every toxic gone. Only ours: a shared Toxiproxy (TOXIPROXY_URL) may
   * carry other people's proxies, which a global POST /reset would heal too.
   */
  async resetAll(): Promise<void> {
    await Promise.all([this.proxies.producer.reset(), this.proxies.consumer.reset()]);
  }

  /** Embedded: stops the server process by PID (SIGTERM, then SIGKILL). Real Toxiproxy: deletes our proxies. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      if (this.#server) await this.#server.stop();
      else await Promise.all(this.#created.map((proxy) => proxy.remove().catch(() => {})));
    })();
    return this.#stopped;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

async function createProxy(client: Toxiproxy, url: string, name: string, upstream: string): Promise<Proxy> {
  try {
    // Port 0: the server picks a free port and its reply names it (real Toxiproxy and ours alike).
    return await client.createProxy({ name, listen: `${LOOPBACK}:0`, upstream });
  } catch (err) {
    throw new ProxyEnvError(
      `could not create proxy ${name} -> ${upstream} on ${url} (does a proxy by that name exist already?): ${(err as Error).message}`,
    );
  }
}

function endpointOf(proxy: Proxy): ProxyEndpoint {
  const colon = proxy.listen.lastIndexOf(':');
  const host = proxy.listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(proxy.listen.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port) || port <= 0)
    throw new ProxyEnvError(`proxy ${proxy.name} reported listen address "${proxy.listen}", expected host:port`);
  // A real Toxiproxy may report the wildcard it bound; clients connect over loopback.
  return { host: host === '' || host === '0.0.0.0' || host === '::' ? LOOPBACK : host, port };
}

/**
 * `node --import tsx chaos/toxiproxy/main.ts` as a direct child: one node process, so the child's
 * PID is the server's. Its stdin stays open as a lifeline (--exit-on-stdin-close).
 */
class EmbeddedServer {
  readonly url: string;
  readonly #child: ChildProcess;
  readonly #log: WriteStream;

  private constructor(url: string, child: ChildProcess, log: WriteStream) {
    this.url = url;
    this.#child = child;
    this.#log = log;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  static async spawn(logFile: string): Promise<EmbeddedServer> {
    mkdirSync(dirname(logFile), { recursive: true });
    const log = createWriteStream(logFile, { flags: 'a' });
    log.on('error', () => {});
    const write = (text: string) => {
      if (!log.writableEnded) log.write(text);
    };
    const child = spawn(process.execPath, ['--import', 'tsx', EMBEDDED_ENTRY, '--host', LOOPBACK, '--port', '0', '--exit-on-stdin-close'], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    registerChild(child, 'toxiproxy');
    child.once('exit', (code, signal) => write(`[harness] toxiproxy pid ${child.pid} exited (${signal ?? `code ${code}`})\n`));
    child.stdin?.on('error', () => {});
    child.stderr?.pipe(log, { end: false });
    const server = (url: string) => new EmbeddedServer(url, child, log);
    const announced = new Promise<EmbeddedServer>((resolve, reject) => {
      let done = false;
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        write(line + '\n');
        if (done) return;
        try {
          const { url } = JSON.parse(line) as { url?: unknown };
          if (typeof url !== 'string') return;
          done = true;
          resolve(server(url));
        } catch {
          // not the announcement
        }
      });
      child.once('exit', (code, signal) =>
        reject(new ProxyEnvError(`embedded toxiproxy exited before announcing itself (${signal ?? `code ${code}`}):\n${logTail(logFile)}`)),
      );
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new ProxyEnvError(`embedded toxiproxy did not announce itself within ${ANNOUNCE_TIMEOUT_MS} ms:\n${logTail(logFile)}`)),
        ANNOUNCE_TIMEOUT_MS,
      );
    });
    try {
      return await Promise.race([announced, timeout]);
    } catch (err) {
      await server('').stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await terminate(this.#child, STOP_GRACE_MS);
    await new Promise<void>((resolve) => this.#log.end(resolve));
  }
}
