// Every proxy of one server by name (Toxiproxy's proxy_collection.go): guards against duplicate names
// and applies /populate.
import { isLoopbackHost, parseHostPort } from './address.ts';
import { MissingFieldError, NonLoopbackListenError, ProxyAlreadyExistsError, ProxyNotFoundError } from './api-errors.ts';
import { decodeBool, decodeString, expectArray, expectObject } from './go-json.ts';
import { Proxy } from './proxy.ts';
import { ProxyMetrics } from './proxy-metrics.ts';

export interface ProxyInput {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/** What /populate managed before it failed: the reply lists these next to the error. */
export class PopulateError extends Error {
  override readonly name = 'PopulateError';
  constructor(
    readonly failure: Error,
    readonly applied: Proxy[],
  ) {
    super(failure.message);
  }
}

const POPULATE_GO_TYPE = '[]struct { toxiproxy.Proxy; Enabled *bool "json:\\"enabled\\"" }';

/** "localhost:5672" and "127.0.0.1:5672" are the same address to Toxiproxy, which compares resolved ones. */
function sameAddress(a: string, b: string): boolean {
  const normalise = (address: string): string => address.replace(/^localhost:/, '127.0.0.1:');
  return normalise(a) === normalise(b);
}

export interface ProxyCollectionOptions {
  /** Let proxies listen on any address (0.0.0.0, a LAN address...); by default only loopback. */
  allowNonLoopback?: boolean;
  /** Where every proxy counts its links' bytes; by default a registry of its own. */
  metrics?: ProxyMetrics;
}

export class ProxyCollection {
  private readonly proxies = new Map<string, Proxy>();
  private pending: Promise<unknown> = Promise.resolve();
  private readonly allowNonLoopback: boolean;
  readonly metrics: ProxyMetrics;

  constructor(options: ProxyCollectionOptions = {}) {
    this.allowNonLoopback = options.allowNonLoopback ?? false;
    this.metrics = options.metrics ?? new ProxyMetrics();
  }

  /**
   * Refuses (400) a listen address off loopback unless allowed. One that does not parse is left to the
   * listen itself, which fails as Toxiproxy's does (500, Go's message) and binds nothing.
   */
  checkListen(listen: string): void {
    if (this.allowNonLoopback) return;
    let host: string;
    try {
      ({ host } = parseHostPort(listen));
    } catch {
      return;
    }
    if (!isLoopbackHost(host)) throw new NonLoopbackListenError(listen);
  }

  /** Sorted by name, as Go marshals a map. */
  all(): Proxy[] {
    return [...this.proxies.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (proxy === undefined) throw new ProxyNotFoundError();
    return proxy;
  }

  add(input: ProxyInput): Promise<Proxy> {
    return this.serialised(async () => {
      if (this.proxies.has(input.name)) throw new ProxyAlreadyExistsError();
      this.checkListen(input.listen);
      const proxy = new Proxy(input.name, input.listen, input.upstream, this.metrics);
      if (input.enabled) await proxy.start();
      this.proxies.set(proxy.name, proxy);
      return proxy;
    });
  }

  remove(name: string): Promise<void> {
    return this.serialised(async () => {
      const proxy = this.get(name);
      await proxy.stop();
      this.proxies.delete(name);
    });
  }

  /** Stops and forgets every proxy (server shutdown). */
  clear(): Promise<void> {
    return this.serialised(async () => {
      await Promise.all([...this.proxies.values()].map((proxy) => proxy.stop()));
      this.proxies.clear();
    });
  }

  /**
   * Validates every entry first, then adds or replaces in order. A proxy with the same name, listen and
   * upstream is left alone (live connections and toxics included); a different one is stopped and replaced.
   */
  populate(body: unknown): Promise<Proxy[]> {
    const inputs = expectArray(body, POPULATE_GO_TYPE).map((entry, index) => {
      const object = expectObject(entry, 'toxiproxy.Proxy');
      const input: ProxyInput = {
        name: decodeString(object, 'name', '', 'Proxy.name'),
        listen: decodeString(object, 'listen', '', 'Proxy.listen'),
        upstream: decodeString(object, 'upstream', '', 'Proxy.upstream'),
        enabled: decodeBool(object, 'enabled', true, '.enabled'),
      };
      if (input.name === '') throw new MissingFieldError(`name at proxy ${index + 1}`);
      if (input.upstream === '') throw new MissingFieldError(`upstream at proxy ${index + 1}`);
      this.checkListen(input.listen);
      return input;
    });
    return this.serialised(async () => {
      const applied: Proxy[] = [];
      for (const input of inputs) {
        try {
          applied.push(await this.addOrReplace(input));
        } catch (error) {
          throw new PopulateError(error instanceof Error ? error : new Error(String(error)), applied);
        }
      }
      return applied;
    });
  }

  private async addOrReplace(input: ProxyInput): Promise<Proxy> {
    const existing = this.proxies.get(input.name);
    if (existing !== undefined) {
      if (sameAddress(existing.listen, input.listen) && sameAddress(existing.upstream, input.upstream)) return existing;
      await existing.stop();
    }
    const proxy = new Proxy(input.name, input.listen, input.upstream, this.metrics);
    if (input.enabled) await proxy.start();
    this.proxies.set(proxy.name, proxy);
    return proxy;
  }

  private serialised<T>(change: () => Promise<T>): Promise<T> {
    const result = this.pending.then(change);
    this.pending = result.catch(() => undefined);
    return result;
  }
}
