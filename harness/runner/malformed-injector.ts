import amqp, { type ChannelModel, type ConfirmChannel, type Message } from 'amqplib';
import type { Outcome } from '../../instrument/history-event.ts';
import { HistoryWriter } from '../../instrument/history-writer.ts';
import { malformedCatalogue, type MalformedMessage, type ParsedQueue } from './malformed-messages.ts';

/** AMQP's default exchange (the empty name) routes by queue name: straight into the queue, whatever the target's bindings. */
const DEFAULT_EXCHANGE = '';

/** Five per queue: one of each kind, a few dozen in all, next to thousands of orders. */
export const DEFAULT_MALFORMED_PER_QUEUE = 5;
const CONFIRM_TIMEOUT_MS = 5_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** The history's process name for the injector. */
export const INJECTOR_PROC = 'injector';
/** What an injected message records as its order: it belongs to none. */
export const NO_ORDER = '';

export interface MalformedInjectorOptions {
  /** The broker's own AMQP URL, not a proxy's: the injector is the workload, not the system under fault. */
  amqpUrl: string;
  /** The injector's history (runDir/history/injector.jsonl). */
  historyFile: string;
  /** The queues to inject into (malformedQueues(target.topology)). */
  queues: readonly ParsedQueue[];
  /** Seconds of load to spread the messages over. */
  durationSeconds: number;
  perQueue?: number;
  log?: (message: string) => void;
}

export interface InjectionSummary {
  attempted: number;
  ok: number;
  fail: number;
  info: number;
}

export interface MalformedInjector {
  /** Resolves (never rejects) once every scheduled message was published and its confirm settled, or the run aborted. */
  done: Promise<InjectionSummary>;
}

/**
 * During the load, publishes messages no worker can parse (malformed-messages.ts) straight into
 * the work queues through the default exchange, persistent, on its own confirm channel, spread
 * evenly over the load. Each is recorded as a `publish-attempt` with `intent: 'malformed'` and a
 * `publish-result` with what the broker's confirm says, so the checkers can require each confirmed
 * one to be dead-lettered `rejected` from the queue it was put in.
 */
export function startMalformedInjector(options: MalformedInjectorOptions, signal: AbortSignal): MalformedInjector {
  const messages = malformedCatalogue(options.perQueue ?? DEFAULT_MALFORMED_PER_QUEUE, options.queues);
  const history = new HistoryWriter(options.historyFile, INJECTOR_PROC);
  const link = new InjectorLink(options.amqpUrl);
  const summary: InjectionSummary = { attempted: 0, ok: 0, fail: 0, info: 0 };
  const spacingMs = (options.durationSeconds * 1000) / messages.length;

  const publishOne = async (m: MalformedMessage): Promise<void> => {
    summary.attempted++;
    history.append({
      kind: 'publish-attempt',
      id: m.id,
      orderId: NO_ORDER,
      exchange: DEFAULT_EXCHANGE,
      routingKey: m.queue,
      intent: 'malformed',
    });
    const result = await link.publish(m);
    summary[result.outcome]++;
    history.append({
      kind: 'publish-result',
      id: m.id,
      orderId: NO_ORDER,
      outcome: result.outcome,
      ...(result.error ? { error: `${m.kind}: ${result.error}` } : {}),
    });
  };

  const run = async (): Promise<InjectionSummary> => {
    const started = performance.now();
    const pending: Promise<void>[] = [];
    try {
      for (const [k, m] of messages.entries()) {
        // Half a slot in: nothing lands at the first instant of the load or after its end.
        const due = started + spacingMs * (k + 0.5);
        if (!(await sleepUntil(due, signal))) break;
        pending.push(publishOne(m));
      }
      await Promise.all(pending);
    } finally {
      await link.close();
      history.close();
    }
    options.log?.(
      `injected ${summary.attempted} malformed messages into the work queues: ` +
        `${summary.ok} confirmed, ${summary.fail} failed, ${summary.info} in doubt`,
    );
    return summary;
  };
  return {
    done: run().catch((err: unknown) => {
      options.log?.(`malformed injector stopped: ${(err as Error).message}`);
      return summary;
    }),
  };
}

/** One connection and confirm channel, opened on first use and again after it is lost. */
class InjectorLink {
  readonly #url: string;
  #connection: ChannelModel | undefined;
  #channel: ConfirmChannel | undefined;
  #opening: Promise<ConfirmChannel> | undefined;
  readonly #returned = new Set<string>();

  constructor(url: string) {
    this.#url = url;
  }

  async publish(m: MalformedMessage): Promise<{ outcome: Outcome; error?: string }> {
    let channel: ConfirmChannel;
    try {
      channel = await this.#open();
    } catch (err) {
      return { outcome: 'fail', error: `not connected: ${(err as Error).message}` };
    }
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: { outcome: Outcome; error?: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => settle({ outcome: 'info', error: `no confirm within ${CONFIRM_TIMEOUT_MS} ms` }), CONFIRM_TIMEOUT_MS);
      try {
        channel.publish(
          DEFAULT_EXCHANGE,
          m.queue,
          m.content,
          { persistent: true, messageId: m.id, contentType: 'application/json', mandatory: true, timestamp: Math.floor(Date.now() / 1000) },
          (err) => {
            if (!err) {
              settle(this.#returned.delete(m.id) ? { outcome: 'fail', error: 'returned unroutable' } : { outcome: 'ok' });
              return;
            }
            // A nack means the broker refused it; a channel that died first leaves it unknown.
            setImmediate(() =>
              settle(
                this.#channel === channel
                  ? { outcome: 'fail', error: 'nacked by broker' }
                  : { outcome: 'info', error: 'channel closed before confirm' },
              ),
            );
          },
        );
      } catch (err) {
        settle({ outcome: 'fail', error: (err as Error).message });
      }
    });
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    this.#channel = undefined;
    await connection?.close().catch(() => {});
  }

  #open(): Promise<ConfirmChannel> {
    if (this.#channel) return Promise.resolve(this.#channel);
    this.#opening ??= this.#connect().finally(() => (this.#opening = undefined));
    return this.#opening;
  }

  async #connect(): Promise<ConfirmChannel> {
    const connection = await amqp.connect(this.#url, {
      timeout: CONNECT_TIMEOUT_MS,
      clientProperties: { connection_name: 'harness malformed-injector' },
    });
    connection.on('error', () => {});
    const channel = await connection.createConfirmChannel().catch(async (err: unknown) => {
      await connection.close().catch(() => {});
      throw err;
    });
    channel.on('error', () => {});
    channel.on('return', (msg: Message) => {
      if (typeof msg.properties.messageId === 'string') this.#returned.add(msg.properties.messageId);
    });
    const lost = () => {
      if (this.#channel === channel) this.#channel = undefined;
    };
    channel.on('close', lost);
    connection.on('close', lost);
    this.#connection = connection;
    this.#channel = channel;
    return channel;
  }
}

/** Waits until `due` (performance.now() ms); false when the signal aborted first. */
function sleepUntil(due: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      },
      Math.max(0, due - performance.now()),
    );
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
