// An embedded Toxiproxy-compatible server: the HTTP API on one port, each proxy on its own.
// Point toxiproxy-node-client (or any Toxiproxy client) at `url`; `await using` stops everything.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort, isLoopbackHost } from './address.ts';
import { createApiHandler } from './api-server.ts';
import { ProxyCollection } from './proxy-collection.ts';

export { TOXIPROXY_VERSION } from './api-server.ts';
export * from './api-errors.ts';

const DEFAULT_HOST = '127.0.0.1';
/** 0 asks the OS for a free port; Toxiproxy's usual 8474 may belong to a real one on this machine. */
const DEFAULT_PORT = 0;

export interface EmbeddedToxiproxyOptions {
  /** Where the API listens; anything but loopback needs `allowNonLoopback`. */
  host?: string;
  port?: number;
  /**
   * Let the API and the proxies listen off loopback. Off by default: whoever reaches the API can open
   * a proxy to anything this machine reaches, and a proxy on 0.0.0.0 opens the broker to the network.
   */
  allowNonLoopback?: boolean;
}

/** The API was asked to listen off loopback without `allowNonLoopback`. */
export class NonLoopbackHostError extends Error {
  override readonly name = 'NonLoopbackHostError';
  constructor(readonly host: string) {
    super(`API host ${host} is not loopback: expected 127.0.0.1, ::1 or localhost, or allow others explicitly (--allow-non-loopback)`);
  }
}

export interface StartedToxiproxy extends AsyncDisposable {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** Closes the API, every proxy listener and every proxied socket. */
  stop(): Promise<void>;
}

export async function startEmbeddedToxiproxy(options: EmbeddedToxiproxyOptions = {}): Promise<StartedToxiproxy> {
  const host = options.host ?? DEFAULT_HOST;
  if (!isLoopbackHost(host) && options.allowNonLoopback !== true) throw new NonLoopbackHostError(host);
  const proxies = new ProxyCollection({ allowNonLoopback: options.allowNonLoopback ?? false });
  const server = http.createServer(createApiHandler(proxies));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? DEFAULT_PORT }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await proxies.clear();
      await closed;
    })();
    return stopped;
  };
  return {
    url: `http://${formatHostPort(address.address, address.port)}`,
    port: address.port,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
