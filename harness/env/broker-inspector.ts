/**
 * Reads the broker's own view through the management HTTP API: what each queue still holds and
 * what each channel has in flight. Checkers cross-check the histories against it (a message the
 * histories miss but the broker still holds is stuck, not lost; a channel over its prefetch is a
 * broker-side fact, not an inference).
 */
export interface QueueState {
  name: string;
  ready: number;
  unacked: number;
  consumers: number;
}

export interface ChannelState {
  t: number;
  connectionName: string;
  consumerCount: number;
  prefetchCount: number;
  unacked: number;
}

const REQUEST_TIMEOUT_MS = 5_000;

export class BrokerInspector {
  readonly #baseUrl: string;
  readonly #auth: string;

  constructor(managementUrl: string, user: string, password: string) {
    this.#baseUrl = managementUrl.replace(/\/+$/, '');
    this.#auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  async queues(): Promise<QueueState[]> {
    const rows = await this.#get<Record<string, unknown>[]>('/api/queues?columns=name,messages_ready,messages_unacknowledged,consumers');
    return rows.map((q) => ({
      name: String(q.name),
      ready: num(q.messages_ready),
      unacked: num(q.messages_unacknowledged),
      consumers: num(q.consumers),
    }));
  }

  /** Channels, named by their connection's client-provided name (e.g. `payments-2 consume`). */
  async channels(): Promise<ChannelState[]> {
    const t = Date.now();
    const [connections, rows] = await Promise.all([
      this.#get<Record<string, unknown>[]>('/api/connections?columns=name,client_properties,user_provided_name'),
      this.#get<Record<string, unknown>[]>(
        '/api/channels?columns=connection_details,consumer_count,prefetch_count,messages_unacknowledged',
      ),
    ]);
    // The management API names a channel's connection by its addresses; the name a client gave it lives on the connection.
    const given = new Map(
      connections.map((c) => [
        String(c.name),
        String(c.user_provided_name ?? (c.client_properties as { connection_name?: unknown } | undefined)?.connection_name ?? c.name),
      ]),
    );
    return rows.map((c) => {
      const generated = String((c.connection_details as { name?: unknown } | undefined)?.name ?? '');
      return {
        t,
        connectionName: given.get(generated) ?? generated,
        consumerCount: num(c.consumer_count),
        prefetchCount: num(c.prefetch_count),
        unacked: num(c.messages_unacknowledged),
      };
    });
  }

  async #get<T>(path: string): Promise<T> {
    const response = await fetch(this.#baseUrl + path, {
      headers: { authorization: this.#auth },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`management API ${path}: HTTP ${response.status}`);
    return (await response.json()) as T;
  }
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
