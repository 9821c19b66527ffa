// An embedded Toxiproxy-compatible server: the HTTP API on one port, each proxy on its own.
// Point toxiproxy-node-client (or any Toxiproxy client) at `url`; `await using` stops everything.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatHostPort } from './address.ts';
import { createApiHandler } from './api-server.ts';
import { ProxyCollection } from './proxy-collection.ts';

export { TOXIPROXY_VERSION } from './api-server.ts';
export * from './api-errors.ts';

const DEFAULT_HOST = '127.0.0.1';
/** 0 asks the OS for a free port; Toxiproxy's usual 8474 may belong to a real one on this machine. */
const DEFAULT_PORT = 0;

export interface EmbeddedToxiproxyOptions {
  host?: string;
  port?: number;
}

export interface StartedToxiproxy extends AsyncDisposable {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  /** Closes the API, every proxy listener and every proxied socket. */
  stop(): Promise<void>;
}

export async function startEmbeddedToxiproxy(options: EmbeddedToxiproxyOptions = {}): Promise<StartedToxiproxy> {
  const proxies = new ProxyCollection();
  const server = http.createServer(createApiHandler(proxies));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host ?? DEFAULT_HOST, port: options.port ?? DEFAULT_PORT }, () => {
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
