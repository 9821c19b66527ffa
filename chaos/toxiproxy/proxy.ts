// One proxy: a listener on `listen` that pairs every accepted client with a new connection to `upstream`
// and joins them with two toxic links (Toxiproxy's proxy.go). Disabling closes the listener and every
// live socket; enabling listens again on the address it last had (the real port, if it was 0).
import net, { type AddressInfo, type Socket } from 'node:net';
import { bindHost, formatHostPort, InvalidAddressError, parseHostPort } from './address.ts';
import { ListenError, ProxyAlreadyStartedError } from './api-errors.ts';
import { ProxyMetrics } from './proxy-metrics.ts';
import type { Direction } from './stream.ts';
import { ToxicCollection, type LinkedSockets, type TrafficFor } from './toxic-collection.ts';
import type { ToxicJson } from './toxic-wrapper.ts';

// Go's defaults for TCP connections: Nagle off, keep-alive probes after 15 s.
const KEEP_ALIVE_DELAY_MS = 15_000;
const SOCKET_OPTIONS = { allowHalfOpen: true, noDelay: true, keepAlive: true, keepAliveInitialDelay: KEEP_ALIVE_DELAY_MS };

export interface ProxyJson {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: ToxicJson[];
}

export interface ProxySettings {
  listen: string;
  upstream: string;
  enabled: boolean;
}

const ignoreSocketError = (): void => {};

/** A client and its upstream; closes both together, with an RST once reset_peer has touched them. */
class ProxyConnection implements LinkedSockets {
  resetOnClose = false;
  private stopLinks: (() => void) | undefined;

  constructor(
    readonly client: Socket,
    readonly upstream: Socket,
    onGone: () => void,
  ) {
    let open = 2;
    const closed = (): void => {
      open -= 1;
      // Before the links run nothing joins the two sockets: one failing must close the other.
      if (this.stopLinks === undefined) this.destroy();
      if (open > 0) return;
      this.stopLinks?.();
      onGone();
    };
    client.once('close', closed);
    upstream.once('close', closed);
  }

  link(toxics: ToxicCollection, traffic: TrafficFor): void {
    this.stopLinks = toxics.startLinks(this, traffic);
    this.client.resume();
  }

  destroy(): void {
    for (const socket of [this.client, this.upstream]) {
      if (socket.destroyed) continue;
      if (this.resetOnClose && !socket.connecting) socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}

export class Proxy {
  enabled = false;
  readonly toxics = new ToxicCollection();
  private server: net.Server | undefined;
  private readonly connections = new Set<ProxyConnection>();
  private pending: Promise<unknown> = Promise.resolve();

  constructor(
    readonly name: string,
    public listen: string,
    public upstream: string,
    /** Where the byte counters of this proxy's links go (the server's /metrics). */
    private readonly metrics: ProxyMetrics = new ProxyMetrics(),
  ) {}

  toJSON(): ProxyJson {
    const toxics = this.toxics.list().map((toxic) => toxic.toJSON());
    return { name: this.name, listen: this.listen, upstream: this.upstream, enabled: this.enabled, toxics };
  }

  start(): Promise<void> {
    return this.serialised(() => this.listenNow());
  }

  stop(): Promise<void> {
    return this.serialised(async () => this.stopNow());
  }

  /** Toxiproxy's Update: a new address restarts the proxy (dropping its connections); then enabled is applied. */
  update(input: ProxySettings): Promise<void> {
    return this.serialised(async () => {
      if (input.listen !== this.listen || input.upstream !== this.upstream) {
        this.stopNow();
        this.listen = input.listen;
        this.upstream = input.upstream;
      }
      if (input.enabled === this.enabled) return;
      if (input.enabled) await this.listenNow();
      else this.stopNow();
    });
  }

  private async listenNow(): Promise<void> {
    if (this.enabled) throw new ProxyAlreadyStartedError();
    let address;
    try {
      address = parseHostPort(this.listen);
    } catch (error) {
      if (error instanceof InvalidAddressError) throw new ListenError(`listen tcp: ${error.message}`);
      throw error;
    }
    const server = net.createServer({ ...SOCKET_OPTIONS, pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(goListenMessage(this.listen, error))));
      server.listen({ host: bindHost(address.host), port: address.port }, resolve);
    });
    server.on('error', ignoreSocketError);
    server.on('connection', (client: Socket) => this.accept(client));
    const bound = server.address() as AddressInfo;
    this.listen = formatHostPort(bound.address, bound.port);
    this.server = server;
    this.enabled = true;
  }

  private stopNow(): void {
    if (!this.enabled) return;
    this.enabled = false;
    this.server?.close();
    this.server = undefined;
    for (const connection of this.connections) connection.destroy();
    this.connections.clear();
  }

  private accept(client: Socket): void {
    client.on('error', ignoreSocketError);
    let target;
    try {
      target = parseHostPort(this.upstream);
    } catch {
      client.destroy();
      return;
    }
    const upstream = net.connect({ ...SOCKET_OPTIONS, host: target.host, port: target.port });
    upstream.on('error', ignoreSocketError);
    const connection = new ProxyConnection(client, upstream, () => this.connections.delete(connection));
    this.connections.add(connection);
    // Labelled as Toxiproxy labels a link: the addresses as they are when it starts.
    const labels = { proxy: this.name, listener: this.listen, upstream: this.upstream };
    const traffic: TrafficFor = (direction: Direction) => this.metrics.link({ ...labels, direction });
    upstream.once('connect', () => connection.link(this.toxics, traffic));
  }

  private serialised<T>(change: () => Promise<T>): Promise<T> {
    const result = this.pending.then(change);
    this.pending = result.catch(() => undefined);
    return result;
  }
}

const GO_SYSCALL_MESSAGES: Record<string, string> = {
  EADDRINUSE: 'bind: address already in use',
  EACCES: 'bind: permission denied',
  EADDRNOTAVAIL: 'bind: cannot assign requested address',
};

/** Go reports a failed listen as "listen tcp 127.0.0.1:80: bind: permission denied". */
function goListenMessage(listen: string, error: NodeJS.ErrnoException): string {
  const reason = (error.code !== undefined ? GO_SYSCALL_MESSAGES[error.code] : undefined) ?? error.message;
  return `listen tcp ${listen}: ${reason}`;
}
