/**
 * A deterministic synthetic run of the reference order system, for the checker benchmark: what
 * histories does a ~1M-event run leave, and do the checkers judge it quickly and correctly?
 *
 * Orders flow through the reference pipeline as the real processes record it (system/workers,
 * instrument/): the client's `order-request`, the API's confirmed publish of `order.created`, the
 * orders, inventory, payments, notifications workers and the dead-letter auditor each delivering,
 * handling, publishing with confirms and acking, on real per-channel delivery tags. Mixed in:
 * poison orders (three broker-side retries, then rejected into the dead-letter queue), flash
 * orders (payment nacked past its deadline, dead-lettered `expired`), and one fault window: a
 * connection cut of payments-1's consume connection (in-flight deliveries abandoned and redelivered
 * to payments-2 with redelivered=true, some after their effect was committed, so follow-ups are
 * published twice) while the API refuses orders for a second (client retries after the heal).
 * Every process's file is written in time order, one file per process, as a run writes them.
 *
 * `plantLoss` drops every downstream event of one accepted order: the broker confirmed it, nobody
 * consumed it. A judge that finds nothing there judged nothing.
 */
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent, HistoryRecord, Intent } from '../instrument/history-event.ts';
import type { AppliedFault } from '../harness/runner/fault-schedule.ts';
import type { ClientLoadSummary } from '../harness/runner/client-load.ts';
import type { FinalReadSummary } from '../harness/env/final-read.ts';
import type { EffectRow, TargetEffects } from '../harness/target/target.ts';
import { seededRandom } from '../load/seeded-random.ts';

export interface SyntheticOptions {
  /** Roughly how many history events to write (the run stops at the first order past it). */
  events: number;
  seed?: number;
  /** Orders per second. */
  rate?: number;
  /** Leave one accepted order without any downstream event (see the file comment). */
  plantLoss?: boolean;
}

/** What the synthetic run would have recorded besides its histories (results.json and the target's stores). */
export interface SyntheticRun {
  runDir: string;
  events: number;
  orders: number;
  rate: number;
  durationSeconds: number;
  lostOrderId?: string;
  system: Record<string, unknown>;
  appliedFaults: AppliedFault[];
  load: ClientLoadSummary;
  finalRead: FinalReadSummary;
  /** What the reference stores would hold (system/target/read-effects.ts shapes): no SQLite here. */
  effects: TargetEffects;
}

export const SYNTHETIC_FILE = 'synthetic.json';

const EVENTS_PER_ORDER = 39;
const MIN_SECONDS = 50;
const POISON_SHARE = 0.02;
const EXPIRE_SHARE = 0.02;
const FAULT_AT_SHARE = 0.4;
const FAULT_MS = 2_000;
/** The API refuses orders (503) for this long after the fault starts. */
const REFUSING_MS = 1_000;
const RETRY_DELAYS_MS = [500, 1_000, 2_000];
const PAYMENT_MS = 20;
/** Events this far behind the newest order cannot gain company any more: written out. */
const FLUSH_LAG_MS = 10_000;
const START = 1_700_000_000_000;
const DELIVERY = Symbol('delivery');

type Settle = HistoryEvent & { deliveryTag: number; [DELIVERY]?: { deliveryTag: number } };

const PROCS = ['client', 'api-1', 'orders-1', 'inventory-1', 'payments-1', 'payments-2', 'notifications-1', 'dead-letter-1', 'harness'];
const CONSUMERS = ['orders-1', 'inventory-1', 'payments-1', 'payments-2', 'notifications-1', 'dead-letter-1'];

/** Writes the run's histories into `<runDir>/history/*.jsonl` and what else it would have recorded into `<runDir>/synthetic.json`. */
export function writeSyntheticRun(runDir: string, options: SyntheticOptions): SyntheticRun {
  const seed = options.seed ?? 1;
  const random = seededRandom(seed);
  const orderCount = Math.max(20, Math.ceil(options.events / EVENTS_PER_ORDER));
  // A small history is a slower run rather than a shorter one: the load must go on past the recovery bound after the heal.
  const rate = options.rate ?? Math.min(400, Math.max(5, Math.floor(orderCount / MIN_SECONDS)));
  const durationMs = (orderCount / rate) * 1_000;
  const faultStart = START + Math.round(durationMs * FAULT_AT_SHARE);
  const faultEnd = faultStart + FAULT_MS;
  const cut = faultStart + 5;
  const reconnect = faultEnd + 50;
  const out = new HistoryFiles(join(runDir, 'history'));
  const effects = new EffectRows();
  const lostIndex = options.plantLoss ? Math.floor(orderCount / 2) + 1 : -1;
  let lostOrderId: string | undefined;
  let refused = 0;
  let flushedTo = -Infinity;

  for (const proc of PROCS) {
    out.add(proc, START - 2_000, { kind: 'lifecycle', event: 'start' });
    if (proc !== 'client' && proc !== 'harness')
      out.add(proc, START - 1_500, { kind: 'lifecycle', event: 'connected', detail: `${proc} publish` });
    if (CONSUMERS.includes(proc)) out.add(proc, START - 1_400, { kind: 'lifecycle', event: 'connected', detail: `${proc} consume` });
    out.add(proc, START - 1_000, { kind: 'lifecycle', event: 'ready' });
  }
  out.add('harness', faultStart, {
    kind: 'fault',
    name: 'connection-cut',
    phase: 'start',
    traits: ['cuts-connections'],
    detail: 'payments-1 consume',
  });
  out.add('harness', faultEnd, { kind: 'fault', name: 'connection-cut', phase: 'stop', traits: ['cuts-connections'] });
  out.add('payments-1', cut, {
    kind: 'lifecycle',
    event: 'disconnected',
    detail: 'payments-1 consume: Connection closed: 320 (CONNECTION-FORCED)',
  });
  out.add('payments-1', reconnect, { kind: 'lifecycle', event: 'connected', detail: 'payments-1 consume' });

  /** A worker delivers, handles (unless `effect` is undefined), publishes with confirms, then acks. */
  const consume = (
    proc: string,
    channel: number,
    queue: string,
    id: string,
    orderId: string,
    t: number,
    step: { effect?: string; applied?: boolean; redelivered?: boolean; holdMs?: number; ack?: boolean },
    publishes: readonly Publish[] = [],
  ): { handledAt: number; published: number[]; end: number } => {
    const deliver = out.add(proc, t, {
      kind: 'deliver',
      id,
      orderId,
      queue,
      consumer: proc,
      deliveryTag: 0,
      redelivered: step.redelivered ?? false,
      channel,
    });
    let at = t + (step.holdMs ?? 0.6 + random() * 1.5);
    if (step.effect !== undefined)
      out.add(proc, at, { kind: 'handled', id, orderId, queue, consumer: proc, applied: step.applied ?? true, effect: step.effect });
    const published: number[] = [];
    for (const p of publishes) {
      at = publish(proc, p, orderId, at + 0.1);
      published.push(at);
    }
    if (step.ack !== false) settle(proc, 'ack', deliver, at + 0.2);
    return { handledAt: t, published, end: at + 0.2 };
  };
  const settle = (proc: string, kind: 'ack' | 'nack' | 'reject', deliver: HistoryEvent, t: number, extra: Record<string, unknown> = {}) => {
    const d = deliver as HistoryEvent & { id: string; queue: string; channel: number; deliveryTag: number };
    const e = out.add(proc, t, {
      kind,
      id: d.id,
      queue: d.queue,
      consumer: proc,
      deliveryTag: 0,
      channel: d.channel,
      ...extra,
    } as HistoryRecord);
    (e as Settle)[DELIVERY] = d;
    return e;
  };
  const publish = (proc: string, p: Publish, orderId: string, t: number, outcome: 'ok' | 'fail' = 'ok'): number => {
    out.add(proc, t, { kind: 'publish-attempt', id: p.id, orderId, exchange: p.exchange, routingKey: p.routingKey });
    const done = t + 0.8 + random() * 1.2;
    out.add(proc, done, { kind: 'publish-result', id: p.id, orderId, outcome, ...(outcome === 'ok' ? {} : { error: 'channel closed' }) });
    return done;
  };
  const deadLetter = (id: string, orderId: string, t: number, reason: string, retries: number) => {
    const d = out.add('dead-letter-1', t, {
      kind: 'deliver',
      id,
      orderId,
      queue: DLQ,
      consumer: 'dead-letter-1',
      deliveryTag: 0,
      redelivered: false,
      channel: 1,
    });
    out.add('dead-letter-1', t + 0.5, {
      kind: 'dead-lettered',
      id,
      orderId,
      queue: PAYMENTS_Q,
      reason,
      count: 1,
      ...(retries ? { retries } : {}),
    });
    out.add('dead-letter-1', t + 1, {
      kind: 'handled',
      id,
      orderId,
      queue: DLQ,
      consumer: 'dead-letter-1',
      applied: true,
      effect: 'dead-letter-recorded',
    });
    settle('dead-letter-1', 'ack', d, t + 1.2);
    effects.deadLetters.push({ messageId: id, queue: PAYMENTS_Q, reason });
  };
  let payTurn = 0;
  /** Whose turn it is; payments-1 takes nothing while its connection is down, nor (unless the caller plays the cut) just before. */
  const paymentsAt = (t: number, playsCut = false): string => {
    const proc = `payments-${(payTurn++ % 2) + 1}`;
    return proc === 'payments-1' && t >= cut - (playsCut ? 0 : 200) && t < reconnect ? 'payments-2' : proc;
  };

  for (let n = 1; n <= orderCount; n++) {
    const orderId = `order-${seed}-${n}`;
    const draw = random();
    const intent: Intent = draw < POISON_SHARE ? 'poison' : draw < POISON_SHARE + EXPIRE_SHARE ? 'expire' : 'normal';
    let sent = START + ((n - 1) / rate) * 1_000 + random() * 0.5;
    let attempt = 1;
    const created: Publish = { id: `order.created:${orderId}`, exchange: 'orders', routingKey: 'order.created' };
    if (sent >= faultStart && sent < faultStart + REFUSING_MS) {
      // The API cannot publish: it refuses with 503, and the client retries once the fault healed.
      const done = publish('api-1', created, orderId, sent + 1, 'fail');
      out.add('client', done + 1, {
        kind: 'order-request',
        orderId,
        outcome: 'fail',
        status: 503,
        latencyMs: done + 1 - sent,
        intent,
        attempt,
      });
      refused++;
      // Retried in the order they were refused, so the backlog arrives at twice the rate for a second, not all at once.
      sent += FAULT_MS + 200 + random() * 50;
      attempt = 2;
    }
    const accepted = publish('api-1', created, orderId, sent + 1);
    out.add('client', accepted + 1, {
      kind: 'order-request',
      orderId,
      outcome: 'ok',
      status: 202,
      latencyMs: accepted + 1 - sent,
      intent,
      attempt,
    });
    effects.stored.push(orderId);
    if (sent - FLUSH_LAG_MS > flushedTo + 1_000) out.flushBefore((flushedTo = sent - FLUSH_LAG_MS));
    if (n === lostIndex) {
      lostOrderId = orderId;
      effects.add(orderId, 'status:processing');
      continue;
    }

    const audit: Publish = { id: `order.audit:${orderId}`, exchange: 'orders', routingKey: 'order.audited' };
    const payment: Publish = { id: `payment.process:${orderId}`, exchange: 'payments', routingKey: 'process' };
    const ordersStep = consume(
      'orders-1',
      1,
      'order.created',
      created.id,
      orderId,
      accepted + 1 + random() * 2,
      { effect: 'order-processing' },
      [payment, audit],
    );
    consume('dead-letter-1', 2, 'order.audit', audit.id, orderId, ordersStep.published[1]! + 1 + random() * 3, { effect: 'order-audited' });
    const inventoryStatus: Publish = { id: `inventory.reserved:${orderId}`, exchange: 'orders', routingKey: 'inventory.reserved' };
    const inventoryNote: Publish = { id: `notification.inventory_reserved:${orderId}`, exchange: 'notifications', routingKey: '' };
    const inventoryStep = consume(
      'inventory-1',
      1,
      'inventory.update',
      created.id,
      orderId,
      accepted + 1.2 + random() * 2,
      { effect: 'stock-reserved' },
      [inventoryStatus, inventoryNote],
    );
    const inventoryStatusAt = inventoryStep.published[0]! + 1 + random();
    consume('notifications-1', 1, 'notification.send', inventoryNote.id, orderId, inventoryStep.published[1]! + 1 + random(), {
      effect: 'notification-sent',
    });
    effects.add(orderId, 'reservation', 'reservation-ok', 'notification:inventory_reserved', 'reserved');

    const paymentAt = ordersStep.published[0]! + 1 + random() * 3;
    if (intent !== 'normal') {
      consume('orders-1', 2, 'order.status', inventoryStatus.id, orderId, inventoryStatusAt, { effect: 'order-inventory.reserved' });
      effects.add(orderId, 'status:processing');
      if (intent === 'expire') {
        const proc = paymentsAt(paymentAt);
        const d = consume(proc, 1, PAYMENTS_Q, payment.id, orderId, paymentAt, { ack: false });
        const nackAt = d.end + PAYMENT_MS;
        settle(proc, 'nack', lastDeliver(out, proc), nackAt, { requeue: true, reason: `payment of ${orderId}: deadline passed 3 ms ago` });
        deadLetter(payment.id, orderId, nackAt + 2 + random() * 3, 'expired', 0);
        continue;
      }
      // Poison: every attempt fails; a copy waits out its backoff in the delay queue, the last attempt is rejected.
      let at = paymentAt;
      for (let k = 1; k <= RETRY_DELAYS_MS.length + 1; k++) {
        const proc = paymentsAt(at);
        consume(proc, 1, PAYMENTS_Q, payment.id, orderId, at, { ack: false });
        const d = lastDeliver(out, proc);
        const failedAt = at + PAYMENT_MS + random() * 5;
        if (k > RETRY_DELAYS_MS.length) {
          settle(proc, 'reject', d, failedAt, { requeue: false, reason: `gave up after ${k} attempts: gateway error` });
          deadLetter(payment.id, orderId, failedAt + 2 + random() * 3, 'rejected', RETRY_DELAYS_MS.length);
          break;
        }
        const copy: Publish = { id: payment.id, exchange: '', routingKey: `${PAYMENTS_Q}.retry.${k}` };
        const confirmed = publish(proc, copy, orderId, failedAt);
        const retry = out.add(proc, confirmed + 0.1, {
          kind: 'retry',
          id: payment.id,
          orderId,
          queue: PAYMENTS_Q,
          consumer: proc,
          deliveryTag: 0,
          channel: 1,
          attempt: k,
          delayMs: RETRY_DELAYS_MS[k - 1]!,
          reason: 'gateway error',
        } as HistoryRecord);
        (retry as Settle)[DELIVERY] = d as Settle;
        settle(proc, 'ack', d, confirmed + 0.2);
        at = confirmed + RETRY_DELAYS_MS[k - 1]! + 1 + random() * 5;
      }
      continue;
    }

    const paid: Publish = { id: `payment.succeeded:${orderId}`, exchange: 'orders', routingKey: 'payment.succeeded' };
    const paidNote: Publish = { id: `notification.payment_succeeded:${orderId}`, exchange: 'notifications', routingKey: '' };
    let proc = paymentsAt(paymentAt, true);
    const holdMs = PAYMENT_MS + random() * 8;
    let paidAt: number[];
    const copies: number[][] = [];
    if (proc === 'payments-1' && paymentAt < cut && paymentAt >= cut - holdMs - 40) {
      // In flight when the consume connection was cut: abandoned (perhaps after its effect), redelivered to payments-2.
      const effectDone = paymentAt + holdMs < cut;
      if (effectDone)
        copies.push(
          consume(proc, 1, PAYMENTS_Q, payment.id, orderId, paymentAt, { effect: 'payment-charged', holdMs, ack: false }, [paid, paidNote])
            .published,
        );
      else consume(proc, 1, PAYMENTS_Q, payment.id, orderId, paymentAt, { ack: false });
      proc = 'payments-2';
      const again = consume(
        proc,
        1,
        PAYMENTS_Q,
        payment.id,
        orderId,
        cut + 20 + random() * 30,
        { effect: 'payment-charged', applied: !effectDone, redelivered: true, holdMs },
        [paid, paidNote],
      );
      copies.push(again.published);
      paidAt = copies[0]!;
    } else {
      paidAt = consume(proc, 1, PAYMENTS_Q, payment.id, orderId, paymentAt, { effect: 'payment-charged', holdMs }, [
        paid,
        paidNote,
      ]).published;
      copies.push(paidAt);
    }
    // The order completes with whichever status message the orders worker handles second.
    const paidStatusAt = paidAt[0]! + 1 + random();
    const paymentFirst = paidStatusAt < inventoryStatusAt;
    consume('orders-1', 2, 'order.status', inventoryStatus.id, orderId, inventoryStatusAt, {
      effect: paymentFirst ? 'order-completed' : 'order-inventory.reserved',
    });
    copies.forEach((c, k) => {
      const at = k === 0 ? paidStatusAt : c[0]! + 1 + random();
      consume('orders-1', 2, 'order.status', paid.id, orderId, at, {
        effect: k > 0 || !paymentFirst ? 'order-completed' : 'order-payment.succeeded',
        applied: k === 0,
      });
      consume('notifications-1', 1, 'notification.send', paidNote.id, orderId, c[1]! + 1 + random(), {
        effect: 'notification-sent',
        applied: k === 0,
      });
    });
    effects.add(orderId, 'charge', 'notification:payment_succeeded', 'paid', 'status:completed');
  }
  const end = out.latest() + 50;
  for (const proc of PROCS) out.add(proc, end + 100, { kind: 'lifecycle', event: 'stopping' });
  const events = out.close();

  const seconds = (t: number) => Math.round((t - START) / 100) / 10;
  const latency = { count: orderCount, p50: 4, p90: 6, p99: 9, max: 30 };
  const run: SyntheticRun = {
    runDir,
    events,
    orders: orderCount,
    rate,
    durationSeconds: Math.round(durationMs / 1_000),
    ...(lostOrderId ? { lostOrderId } : {}),
    system: {
      prefetch: 20,
      instances: { orders: 1, payments: 2, inventory: 1, notifications: 1, 'dead-letter': 1 },
      processingMs: { payments: PAYMENT_MS },
    },
    appliedFaults: [
      {
        name: 'connection-cut',
        plannedAt: seconds(faultStart),
        plannedDuration: FAULT_MS / 1_000,
        startedAt: seconds(faultStart),
        inEffectAt: seconds(faultStart),
        healedAt: seconds(faultEnd),
      },
    ],
    load: {
      planned: orderCount,
      scheduled: orderCount,
      sent: orderCount,
      dropped: 0,
      droppedNoFreeSlot: 0,
      droppedLate: 0,
      ok: orderCount,
      failed: 0,
      abandoned: 0,
      targetRate: rate,
      achievedRate: rate,
      latencyMs: latency,
      serviceTimeMs: latency,
      dispatchMs: durationMs,
      durationMs: durationMs + 100,
      stoppedEarly: false,
      retries: {
        clientRetries: 5,
        needed: refused,
        attempts: refused,
        recovered: refused,
        gaveUp: 0,
        gaveUpBy: { refused: 0 },
        abandoned: 0,
        maxInFlight: 1,
      } as unknown as ClientLoadSummary['retries'],
    },
    finalRead: { queues: [], messages: 0, complete: true },
    effects: effects.toEffects(),
  };
  writeFileSync(join(runDir, SYNTHETIC_FILE), JSON.stringify(run));
  return run;
}

const DLQ = 'dead_letter_queue';
const PAYMENTS_Q = 'payment.process';

interface Publish {
  id: string;
  exchange: string;
  routingKey: string;
}

/** The deliver event `consume` just added for this process (its settle comes later, out of `consume`). */
function lastDeliver(out: HistoryFiles, proc: string): HistoryEvent {
  return out.lastOf(proc, 'deliver');
}

/**
 * One JSON-lines file per process, written in time order: events wait in memory until no later
 * order can add an earlier event, then are sorted and appended. Delivery tags are numbered per
 * channel and connection as they are written (RabbitMQ numbers them in delivery order), and each
 * settle takes its delivery's tag.
 */
class HistoryFiles {
  readonly #dir: string;
  readonly #pending = new Map<string, { t: number; seq: number; e: HistoryEvent }[]>();
  readonly #fds = new Map<string, number>();
  readonly #tags = new Map<string, Map<number, number>>();
  readonly #last = new Map<string, HistoryEvent>();
  #seq = 0;
  #count = 0;
  #latest = 0;

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  add(proc: string, t: number, record: HistoryRecord): HistoryEvent {
    const e = { t: Math.round(t * 1_000) / 1_000, proc, ...record } as HistoryEvent;
    let list = this.#pending.get(proc);
    if (!list) this.#pending.set(proc, (list = []));
    list.push({ t: e.t, seq: this.#seq++, e });
    this.#last.set(`${proc}\u0000${e.kind}`, e);
    this.#count++;
    if (e.t > this.#latest) this.#latest = e.t;
    return e;
  }

  lastOf(proc: string, kind: string): HistoryEvent {
    return this.#last.get(`${proc}\u0000${kind}`)!;
  }

  latest(): number {
    return this.#latest;
  }

  flushBefore(cutoff: number): void {
    for (const [proc, list] of this.#pending) {
      const ready = list.filter((x) => x.t < cutoff);
      if (ready.length === 0) continue;
      this.#pending.set(
        proc,
        list.filter((x) => x.t >= cutoff),
      );
      this.#write(proc, ready);
    }
  }

  /** Writes everything left; returns how many events were written. */
  close(): number {
    this.flushBefore(Infinity);
    for (const fd of this.#fds.values()) closeSync(fd);
    return this.#count;
  }

  #write(proc: string, ready: { t: number; seq: number; e: HistoryEvent }[]): void {
    ready.sort((a, b) => a.t - b.t || a.seq - b.seq);
    let tags = this.#tags.get(proc);
    if (!tags) this.#tags.set(proc, (tags = new Map()));
    const lines: string[] = [];
    for (const { e } of ready) {
      if (e.kind === 'lifecycle' && (e.event === 'start' || (e.event === 'disconnected' && (e.detail ?? '').startsWith(`${proc} consume`))))
        tags.clear();
      if (e.kind === 'deliver') {
        const tag = (tags.get(e.channel) ?? 0) + 1;
        tags.set(e.channel, tag);
        e.deliveryTag = tag;
      } else if (e.kind === 'ack' || e.kind === 'nack' || e.kind === 'reject' || e.kind === 'retry') {
        const d = (e as Settle)[DELIVERY];
        if (d) e.deliveryTag = d.deliveryTag;
      }
      lines.push(JSON.stringify(e));
    }
    let fd = this.#fds.get(proc);
    if (fd === undefined) this.#fds.set(proc, (fd = openSync(join(this.#dir, `${proc}.jsonl`), 'a')));
    writeSync(fd, lines.join('\n') + '\n');
  }
}

/** What the reference stores would hold: one row per (order, kind), as read-effects.ts reports them. */
class EffectRows {
  readonly rows: EffectRow[] = [];
  readonly stored: string[] = [];
  readonly deadLetters: { messageId: string; queue: string; reason: string }[] = [];

  add(orderId: string, ...kinds: string[]): void {
    for (const kind of kinds) this.rows.push({ orderId, kind, count: 1 });
  }

  toEffects(): TargetEffects {
    return {
      rows: this.rows,
      requiredKinds: ['charge', 'reservation', 'reservation-ok', 'status:completed'],
      requiredWhenFailed: ['reservation', 'status:failed'],
      forbiddenWhenCompleted: ['reservation-refused'],
      forbiddenWhenFailed: ['reservation-ok'],
      together: [
        ['charge', 'notification:payment_succeeded'],
        ['reservation-ok', 'notification:inventory_reserved'],
        ['reservation-refused', 'notification:inventory_failed'],
      ],
      bookkeepingKinds: ['status:processing', 'status:completed', 'status:failed'],
      storedOrders: this.stored,
      deadLetters: this.deadLetters,
      unreadable: [],
    };
  }
}
