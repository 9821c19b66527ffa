import type { RunRecord } from '../../../harness/checkers/checker.ts';
import { REFERENCE_TOPOLOGY } from '../../../system/target/declared-topology.ts';
import { DeliveryLedger } from '../../../harness/checkers/delivery-ledger.ts';
import type { HistoryEvent, HistoryRecord, Outcome } from '../../../instrument/history-event.ts';

/** One delivery as the consumer saw it: what an ack must name. */
export interface Delivered {
  proc: string;
  id: string;
  queue: string;
  channel: number;
  deliveryTag: number;
}

/**
 * Hand-made consumer-side histories: deliveries get real per-channel delivery tags (restarting
 * on every new connection, as RabbitMQ's do), and the clock is explicit where timing matters.
 */
export class ConsumerHistory {
  readonly events: HistoryEvent[] = [];
  #t = 1_000;
  readonly #tags = new Map<string, number>();

  /** Moves the clock to `t` (ms); later events follow it one millisecond apart. */
  at(t: number): this {
    this.#t = t;
    return this;
  }

  add(proc: string, record: HistoryRecord): this {
    this.events.push({ t: this.#t++, proc, ...record } as HistoryEvent);
    return this;
  }

  order(orderId: string, outcome: Outcome): this {
    return this.add('client', { kind: 'order-request', orderId, outcome });
  }

  publish(proc: string, id: string, exchange: string, routingKey: string, outcome: Outcome | 'none', orderId = 'o1'): this {
    this.add(proc, { kind: 'publish-attempt', id, orderId, exchange, routingKey });
    if (outcome !== 'none') this.add(proc, { kind: 'publish-result', id, orderId, outcome });
    return this;
  }

  /** `autoAck`: the channel consumes with noAck (the consumer says so on each delivery). */
  deliver(
    proc: string,
    id: string,
    queue: string,
    options: { channel?: number; redelivered?: boolean; autoAck?: boolean } = {},
  ): Delivered {
    const channel = options.channel ?? 1;
    const key = `${proc}/${channel}`;
    const deliveryTag = (this.#tags.get(key) ?? 0) + 1;
    this.#tags.set(key, deliveryTag);
    this.add(proc, {
      kind: 'deliver',
      id,
      queue,
      consumer: proc,
      deliveryTag,
      channel,
      redelivered: options.redelivered ?? false,
      ...(options.autoAck ? { autoAck: true } : {}),
    });
    return { proc, id, queue, channel, deliveryTag };
  }

  handled(d: { proc: string; id: string; queue: string }, applied = true, effect = 'done', orderId = 'o1'): this {
    return this.add(d.proc, { kind: 'handled', id: d.id, orderId, queue: d.queue, consumer: d.proc, applied, effect });
  }

  settle(kind: 'ack' | 'nack' | 'reject', d: Delivered, requeue?: boolean): this {
    return this.add(d.proc, {
      kind,
      id: d.id,
      queue: d.queue,
      consumer: d.proc,
      deliveryTag: d.deliveryTag,
      channel: d.channel,
      ...(requeue !== undefined ? { requeue } : {}),
    });
  }

  ack(d: Delivered): this {
    return this.settle('ack', d);
  }

  /** The reference discipline: deliver, handle, ack. */
  consume(proc: string, id: string, queue: string, options: { channel?: number; redelivered?: boolean } = {}): Delivered {
    const d = this.deliver(proc, id, queue, options);
    this.handled(d).ack(d);
    return d;
  }

  connected(proc: string): this {
    return this.add(proc, { kind: 'lifecycle', event: 'connected', detail: `${proc} consume` });
  }

  /** The consume connection dropped: its channels and their tags are gone. */
  disconnected(proc: string): this {
    for (const key of this.#tags.keys()) if (key.startsWith(`${proc}/`)) this.#tags.delete(key);
    return this.add(proc, { kind: 'lifecycle', event: 'disconnected', detail: `${proc} consume: Connection closed` });
  }

  deadLettered(id: string, queue: string, reason = 'rejected', proc = 'dead-letter-1'): this {
    return this.add(proc, { kind: 'dead-lettered', id, queue, reason, count: 1 });
  }

  /** Any event of `proc` at the current time, to move a process's history (or the whole history's end) along. */
  tick(proc: string): this {
    return this.add(proc, { kind: 'lifecycle', event: 'ready' });
  }
}

export function runRecord(events: readonly HistoryEvent[], extra: Partial<RunRecord> = {}): RunRecord {
  const ledger = new DeliveryLedger(extra.topology ?? REFERENCE_TOPOLOGY);
  ledger.ingest(events);
  return { runDir: '/nonexistent', target: 'reference', topology: REFERENCE_TOPOLOGY, events, ledger, ...extra };
}
