import type { Options } from 'amqplib';

/** A connection's place in the rotation: which node (0-based), of how many, at which address. */
export interface NodeEndpoint {
  index: number;
  of: number;
  /** `host:port`: what the history records (never the credentials). */
  address: string;
}

/**
 * The nodes a connection may reach, in node order, and the one its next attempt goes to: the
 * first to begin with, the next (wrapping around) after every failed attempt or lost connection.
 *
 * Why an object rewritten in place: amqplib's recovery hands the same `url` value to its connect
 * on every attempt (channel_api.js `openModel`), and lib/connect.js reads an object URL's fields
 * (protocol, hostname, port, username, password, vhost, heartbeat...) synchronously when an attempt
 * starts. So `target` is passed once, and `advance()` rewrites every field of it between attempts:
 * it is called from the recovering connection's `disconnect` and `connect-failed` events, which
 * amqplib emits right before it schedules the next attempt, never while one runs. A `port` getter
 * that moved on when read would be fragile: an attempt reads `hostname` (twice) before `port` and
 * the credentials after it, so with nodes on different hosts (a cluster's own addresses) one
 * attempt could take one node's host and the next node's port and password.
 */
export class NodeRotation {
  readonly #urls: readonly string[];
  readonly #targets: readonly ConnectFields[];
  #index = 0;
  /** What amqplib connects with: always the current node's fields. */
  readonly target: Options.Connect;

  constructor(urls: readonly string[], heartbeatSeconds: number) {
    if (urls.length === 0) throw new NoBrokerUrlError();
    this.#urls = urls;
    this.#targets = urls.map((url) => connectFields(url, heartbeatSeconds));
    this.target = { ...this.#targets[0]! };
  }

  get current(): NodeEndpoint {
    return { index: this.#index, of: this.#urls.length, address: new URL(this.#urls[this.#index]!).host };
  }

  /** Moves to the next node, wrapping around; returns it. */
  advance(): NodeEndpoint {
    this.#index = (this.#index + 1) % this.#urls.length;
    Object.assign(this.target, this.#targets[this.#index]);
    return this.current;
  }
}

export class NoBrokerUrlError extends Error {
  constructor() {
    super('a connection needs at least one broker URL');
    this.name = 'NoBrokerUrlError';
  }
}

/** `127.0.0.1:5672`, or `127.0.0.1:5673 (node 2 of 3)` when there is more than one node. */
export function describeEndpoint(endpoint: NodeEndpoint): string {
  return endpoint.of > 1 ? `${endpoint.address} (node ${endpoint.index + 1} of ${endpoint.of})` : endpoint.address;
}

/** The fields of amqplib's object URL this system uses, each one present (undefined when unset). */
export type ConnectFields = {
  [K in 'protocol' | 'hostname' | 'port' | 'username' | 'password' | 'vhost' | 'heartbeat' | 'frameMax' | 'channelMax' | 'locale']-?:
    Options.Connect[K] | undefined;
};

/**
 * An AMQP URL as amqplib's object form, read the way lib/connect.js reads a URL string: the
 * protocol without its colon, IPv6 brackets off, credentials decoded (both absent: guest, as for a
 * string), the vhost still escaped (amqplib unescapes it for both forms). Every field is present,
 * undefined when unset, so that rewriting the target replaces all of the previous node's.
 */
export function connectFields(url: string, heartbeatSeconds: number): ConnectFields {
  const u = new URL(url);
  const query = (name: string) => u.searchParams.get(name) ?? undefined;
  const int = (name: string) => {
    const value = query(name);
    return value === undefined ? undefined : Number.parseInt(value, 10);
  };
  const anonymous = u.username === '' && u.password === '';
  return {
    protocol: u.protocol.replace(/:$/, ''),
    hostname: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number.parseInt(u.port, 10) || undefined,
    username: anonymous ? undefined : decodeURIComponent(u.username),
    password: anonymous ? undefined : decodeURIComponent(u.password),
    vhost: u.pathname.length > 1 ? u.pathname.slice(1) : undefined,
    heartbeat: heartbeatSeconds,
    frameMax: int('frameMax'),
    channelMax: int('channelMax'),
    locale: query('locale'),
  };
}
