import type { DeliverEvent, FaultEvent, HistoryEvent, SettleEvent } from '../../instrument/history-event.ts';
import { historyIndex } from '../history/history-index.ts';
import type { DeclaredTopology } from '../target/target.ts';
import type { Checker, CheckResult } from './checker.ts';
import { handledIndex, HandledIndex, messageKey, trackDeliveries, type TrackedDelivery } from './delivery-tracking.ts';
import { PairLists, PairMap } from './pair-map.ts';
import { publishOutcomes } from './publish-outcomes.ts';
import { ViolationList } from './violation-list.ts';

/** Unsettled deliveries this close to the end of the history are still being worked on, not abandoned. */
export const DEFAULT_IN_FLIGHT_GRACE_MS = 5_000;

export interface AcknowledgementsOptions {
  /** See DEFAULT_IN_FLIGHT_GRACE_MS (the default covers a publisher-confirm timeout). */
  inFlightGraceMs?: number;
  /** Overrides what the history says about automatic acknowledgement (deliveries with `autoAck: true`). */
  autoAck?: boolean;
}

export type AckViolationKind =
  | 'ack-before-handled'
  | 'settled-twice'
  | 'stray-settle'
  | 'redelivered-flag-missing'
  | 'abandoned-not-redelivered'
  | 'lost-to-auto-ack'
  | 'settled-in-auto-ack-mode';

const PHRASES: Record<AckViolationKind, string> = {
  'ack-before-handled': 'acked before their effect was committed',
  'settled-twice': 'settled more than once',
  'stray-settle': 'settles matching no open delivery of that channel (stale or unknown tag)',
  'redelivered-flag-missing': 'redeliveries without redelivered=true',
  'abandoned-not-redelivered': 'unsettled deliveries whose channel died and that never came back',
  'lost-to-auto-ack': 'deliveries never handled: lost to auto-ack',
  'settled-in-auto-ack-mode': 'acks/nacks/rejects on an auto-ack consumer',
};

export interface AckViolationExample {
  id: string;
  consumer: string;
  queue: string;
  channel?: number;
  deliveryTag?: number;
  t: number;
  note?: string;
}

export interface AcknowledgementCounts {
  deliveries: number;
  /** Deliveries that arrived with redelivered=true. */
  redelivered: number;
  acked: number;
  nacked: number;
  rejected: number;
  /** Unsettled when their channel died or their process's history ended. */
  abandoned: number;
  /** ... of which the message came back (redelivered, handled elsewhere or dead-lettered): fine. */
  abandonedRecovered: number;
  /** Unsettled at the very end of the history (within the grace period): still in flight, allowed. */
  inFlightAtEnd: number;
  /** ... never confirmed to their publisher and gone in a broker crash: the broker never promised them (see brokerCrashIndex). */
  abandonedUnconfirmed: number;
}

/**
 * Acknowledgement discipline, per delivery (consumer process, connection epoch, channel, tag):
 * - every delivery ends in exactly one ack, nack or reject, or is abandoned: its consume
 *   connection dropped, its process restarted, or its history ended (SIGKILL) with it unsettled;
 *   an abandoned delivery is fine iff its message (id, queue) shows up again: a later delivery
 *   (anyone's), a `handled` by another consumer, or a dead letter from that queue; or if the
 *   broker never confirmed it and went down meanwhile (brokerCrashIndex);
 * - an ack comes after a `handled` of the same process, queue and id later than the deliver
 *   (no ack before the effect is committed), or after a `retry` of it (its copy for the next
 *   attempt is confirmed in a broker delay queue);
 * - nothing is settled twice, and no settle names a (channel, tag) that is not an open delivery
 *   of the current connection with that id (a stale tag acks someone else's message or kills the channel);
 * - redeliveries carry redelivered=true (the rule is on `redeliveredFlagRule` below).
 * A consumer that consumes with automatic acknowledgement says so on its deliveries (`autoAck`):
 * the broker settles on delivery, nothing to match, so every delivery must have been handled; one
 * that never was is a message lost to auto-ack. The rules follow what the history shows, never
 * which flaw was planted.
 */
export function acknowledgementsChecker(options: AcknowledgementsOptions = {}): Checker {
  return {
    name: 'acknowledgements',
    check(run): CheckResult {
      const autoAck = options.autoAck ?? consumesWithAutoAck(run.events);
      const grace = options.inFlightGraceMs ?? DEFAULT_IN_FLIGHT_GRACE_MS;
      return autoAck ? checkAutoAck(run.events, grace) : checkManual(run.events, grace, run.topology);
    },
  };
}

/** Whether the consumers said they consume with automatic acknowledgement (see DeliverEvent.autoAck). */
export function consumesWithAutoAck(events: readonly HistoryEvent[]): boolean {
  return historyIndex(events)
    .ofKind('deliver')
    .some((e) => e.autoAck === true);
}

function checkManual(events: readonly HistoryEvent[], graceMs: number, topology: DeclaredTopology): CheckResult {
  const track = trackDeliveries(events);
  const handled = handledIndex(events);
  const retried = retryIndex(events);
  const comesBack = recoveryIndex(events, track.deliveries, handled);
  const lostInBrokerCrash = brokerCrashIndex(events, topology);
  const violations = new ViolationList<AckViolationKind, AckViolationExample>();
  const counts: AcknowledgementCounts = {
    deliveries: 0,
    redelivered: 0,
    acked: 0,
    nacked: 0,
    rejected: 0,
    abandoned: 0,
    abandonedRecovered: 0,
    inFlightAtEnd: 0,
    abandonedUnconfirmed: 0,
  };
  const rows = new RowCounter();

  for (const d of track.deliveries) {
    const e = d.deliver;
    const row = rows.get(e.queue, e.proc);
    counts.deliveries++;
    row.deliveries++;
    if (e.redelivered) counts.redelivered++;
    if (d.settle) {
      const s = d.settle;
      if (s.kind === 'ack') {
        counts.acked++;
        row.acked++;
        if (!handled.between(e.proc, e.queue, e.id, e.t, s.t) && !retried(e.proc, e.queue, e.id, e.t, s.t)) {
          violations.add('ack-before-handled', example(d, 'no handled (or retry) event between deliver and ack'));
          row.violations++;
        }
      } else if (s.kind === 'nack') {
        counts.nacked++;
        row.nacked++;
      } else {
        counts.rejected++;
        row.rejected++;
      }
      for (const extra of d.extraSettles) {
        violations.add('settled-twice', { ...example(d, `${s.kind} then ${extra.kind}`), t: extra.t });
        row.violations++;
      }
      continue;
    }
    counts.abandoned++;
    row.abandoned++;
    if (comesBack(d)) {
      counts.abandonedRecovered++;
      continue;
    }
    if (d.abandonedBy === 'end-of-history' && e.t >= track.endOfHistory - graceMs) {
      counts.inFlightAtEnd++;
      continue;
    }
    if (lostInBrokerCrash(d)) {
      counts.abandonedUnconfirmed++;
      continue;
    }
    const wasHandled = handled.between(e.proc, e.queue, e.id, e.t) !== undefined;
    violations.add(
      'abandoned-not-redelivered',
      example(
        d,
        `${d.abandonedBy} at ${d.abandonedAt}; ${wasHandled ? 'handled (effect committed) but never acked' : 'never handled'}; ` +
          'no later delivery, handling or dead letter',
      ),
    );
    row.violations++;
  }

  for (const s of track.strays) {
    violations.add(
      'stray-settle',
      settleExample(s, `${s.kind} of a tag that is not an open delivery of this message on the current connection`),
    );
    rows.get(s.queue, s.proc).violations++;
  }

  for (const d of redeliveredFlagRule(events, track.deliveries, topology)) {
    violations.add(
      'redelivered-flag-missing',
      example(d, 'more first deliveries (redelivered=false) than copies that can have been published'),
    );
    rows.get(d.deliver.queue, d.deliver.proc).violations++;
  }

  const table = rows.table(['queue', 'consumer', 'deliveries', 'acked', 'nacked', 'rejected', 'abandoned', 'violations'], (r) => [
    r.deliveries,
    r.acked,
    r.nacked,
    r.rejected,
    r.abandoned,
    r.violations,
  ]);
  const details = { mode: 'manual', counts, violations: violations.toRecord(), table };
  if (violations.count() > 0) return { valid: false, summary: violations.describe(PHRASES), ...details };
  if (counts.deliveries === 0) return { valid: 'unknown', summary: 'no delivery in the history: nothing to check', ...details };
  const notes = [
    counts.nacked ? `${counts.nacked} nacked` : '',
    counts.rejected ? `${counts.rejected} rejected` : '',
    counts.abandoned ? `${counts.abandonedRecovered} abandoned and redelivered` : '',
    counts.inFlightAtEnd ? `${counts.inFlightAtEnd} in flight at the end` : '',
    counts.abandonedUnconfirmed ? `${counts.abandonedUnconfirmed} never confirmed and gone with the crashed broker` : '',
  ].filter(Boolean);
  return {
    valid: true,
    summary:
      `all ${counts.deliveries} deliveries settled once, acks after their effect ` +
      `(${counts.acked} acked${notes.length ? `, ${notes.join(', ')}` : ''})`,
    ...details,
  };
}

function checkAutoAck(events: readonly HistoryEvent[], graceMs: number): CheckResult {
  const track = trackDeliveries(events);
  const handled = handledIndex(events);
  const dead = deadLetteredKeys(events);
  const violations = new ViolationList<AckViolationKind, AckViolationExample>();
  const rows = new RowCounter();
  let deliveries = 0;
  let handledCount = 0;
  let duplicatesDropped = 0;
  let inFlightAtEnd = 0;

  for (const d of track.deliveries) {
    const e = d.deliver;
    const row = rows.get(e.queue, e.proc);
    deliveries++;
    row.deliveries++;
    if (handled.between(e.proc, e.queue, e.id, e.t)) {
      handledCount++;
      row.acked++;
      continue;
    }
    // Another copy of the same message was handled (or dead-lettered): this copy was dropped, the message was not.
    if (handled.of(e.queue, e.id).length > 0 || dead.has(messageKey(e.queue, e.id))) {
      duplicatesDropped++;
      continue;
    }
    if (e.t >= track.endOfHistory - graceMs) {
      inFlightAtEnd++;
      continue;
    }
    violations.add(
      'lost-to-auto-ack',
      example(d, 'delivered with automatic acknowledgement, never handled: the broker forgot it on delivery'),
    );
    row.violations++;
  }
  for (const s of historyIndex(events).ofKinds(['ack', 'nack', 'reject'])) {
    if (s.kind !== 'ack' && s.kind !== 'nack' && s.kind !== 'reject') continue;
    violations.add('settled-in-auto-ack-mode', settleExample(s, `${s.kind} on a channel that consumes with noAck`));
    rows.get(s.queue, s.proc).violations++;
  }

  const table = rows.table(['queue', 'consumer', 'deliveries', 'handled', 'violations'], (r) => [r.deliveries, r.acked, r.violations]);
  const counts = { deliveries, handled: handledCount, duplicatesDropped, inFlightAtEnd };
  const details = { mode: 'automatic', counts, violations: violations.toRecord(), table };
  const prefix = 'acknowledgements are automatic (auto-ack)';
  if (violations.count() > 0) return { valid: false, summary: `${prefix}: ${violations.describe(PHRASES)}`, ...details };
  if (deliveries === 0) return { valid: 'unknown', summary: `${prefix}; no delivery in the history: nothing to check`, ...details };
  return {
    valid: true,
    summary: `${prefix}: all ${deliveries} deliveries were handled${inFlightAtEnd ? ` (${inFlightAtEnd} in flight at the end)` : ''}`,
    ...details,
  };
}

/**
 * The redelivered flag rule. RabbitMQ delivers each copy of a message with redelivered=false
 * once, and every later delivery of that copy (after a requeue or a dead channel) with
 * redelivered=true. A message id can legitimately sit in a queue more than once: a publish
 * retried after an in-doubt outcome lands twice. So per (queue, id) the number of copies is at
 * most the number of publish attempts routed to that queue minus those whose result was `fail`
 * (the publisher reports `fail` only when the broker certainly did not take it), and first
 * deliveries beyond that number are redeliveries that lost their flag. Queues no publish was
 * routed to (the dead-letter queue, fed by the broker) and ids without publish attempts are not judged.
 * Returns the offending deliveries (the ones after the allowed first deliveries, in time order).
 */
function redeliveredFlagRule(
  events: readonly HistoryEvent[],
  deliveries: readonly TrackedDelivery[],
  topology: DeclaredTopology,
): TrackedDelivery[] {
  const firsts = new PairLists<TrackedDelivery>();
  /** The first of each (queue, id), in the order they showed up: ties in time are reported in that order. */
  const keys: TrackedDelivery[] = [];
  for (const d of deliveries) {
    if (d.deliver.redelivered) continue;
    const { queue, id } = d.deliver;
    if (!firsts.has(queue, id)) keys.push(d);
    firsts.push(queue, id, d);
  }
  // At least one copy is always allowed, so only (queue, id) with several first deliveries need their copies counted.
  const several = new PairMap<number>();
  for (const { deliver } of keys) if (firsts.count(deliver.queue, deliver.id) > 1) several.set(deliver.queue, deliver.id, 0);
  const copies = new PairMap<number>();
  for (const { id, queues, outcome } of publishOutcomes(events, topology)) {
    const landed = outcome === 'fail' ? 0 : 1;
    for (const q of queues) if (several.has(q, id)) copies.set(q, id, (copies.get(q, id) ?? 0) + landed);
  }
  const offending: TrackedDelivery[] = [];
  for (const { deliver } of keys) {
    // Queues no publish was routed to (the dead-letter queue) and ids without publish attempts are not judged.
    if (!several.has(deliver.queue, deliver.id) || !copies.has(deliver.queue, deliver.id)) continue;
    const list = firsts.list(deliver.queue, deliver.id);
    // At least one copy arrived, whatever the results said (a `fail` that landed anyway is not this rule's business).
    const allowed = Math.max(1, copies.get(deliver.queue, deliver.id) ?? 0);
    if (list.length > allowed) offending.push(...list.slice(allowed));
  }
  return offending.sort((a, b) => a.deliver.t - b.deliver.t);
}

/**
 * Did the broker lose this abandoned delivery's message in a crash it was allowed to forget it in?
 * RabbitMQ promises to keep only what it confirmed: a message can be delivered before it is
 * written to disk, and when the broker then goes down, the unconfirmed message may be gone.
 * "Then" is a fault that crashes the broker (never a graceful restart: a clean stop loses nothing
 * it delivered) whose window (its `start` event to its `stop`) overlaps the delivery's life
 * (deliver to channel death): the `start` event is written just before the signal, so the broker
 * can still deliver for a few ms after it.
 * Its publisher saw no `ok`, so the order was never promised (zero-loss counts it in doubt);
 * the consumer did nothing wrong by not acking it.
 */
function brokerCrashIndex(events: readonly HistoryEvent[], topology: DeclaredTopology): (d: TrackedDelivery) => boolean {
  const windows: { name: string; from: number; to: number }[] = [];
  for (const e of historyIndex(events).ofKind('fault')) {
    if (e.phase === 'start') {
      if (crashesBroker(e)) windows.push({ name: e.name, from: e.t, to: Infinity });
    } else if (e.phase === 'stop') {
      const open = windows.find((w) => w.name === e.name && w.to === Infinity);
      if (open) open.to = e.t;
    }
  }
  // Which (queue, id) were confirmed: built on the first abandoned delivery asked about, most runs have none.
  let confirmed: PairMap<true> | undefined;
  return (d) => {
    const e = d.deliver;
    if (windows.length === 0) return false;
    if (!confirmed) {
      confirmed = new PairMap<true>();
      for (const { id, queues, outcome } of publishOutcomes(events, topology))
        if (outcome === 'ok') for (const q of queues) confirmed.set(q, id, true);
    }
    if (confirmed.has(e.queue, e.id)) return false;
    const until = d.abandonedAt ?? Infinity;
    return windows.some((w) => w.from <= until && w.to >= e.t);
  };
}

/**
 * A fault that crashes the broker says so by its traits in the history (chaos/fault.ts: `crashes-broker`).
 * Histories written before faults carried traits name the one such fault there was.
 */
function crashesBroker(e: FaultEvent): boolean {
  const traits = (e as FaultEvent & { traits?: unknown }).traits;
  if (Array.isArray(traits)) return traits.includes('crashes-broker');
  return e.name === LEGACY_BROKER_CRASH_FAULT;
}

const LEGACY_BROKER_CRASH_FAULT = 'broker-kill';

/** Did the message of an abandoned delivery come back: delivered again, handled by another consumer, or dead-lettered from that queue? */
function recoveryIndex(
  events: readonly HistoryEvent[],
  deliveries: readonly TrackedDelivery[],
  handled: HandledIndex,
): (d: TrackedDelivery) => boolean {
  // Built on the first abandoned delivery asked about: most deliveries are settled and never ask.
  let dead: Set<string> | undefined;
  let deliveredAt: PairMap<number[]> | undefined;
  return (d) => {
    const { queue, id, proc, t } = d.deliver;
    dead ??= deadLetteredKeys(events);
    if (dead.has(messageKey(queue, id))) return true;
    if (!deliveredAt) {
      deliveredAt = new PairMap<number[]>();
      for (const { deliver } of deliveries) {
        const list = deliveredAt.get(deliver.queue, deliver.id);
        if (list) list.push(deliver.t);
        else deliveredAt.set(deliver.queue, deliver.id, [deliver.t]);
      }
    }
    if ((deliveredAt.get(queue, id) ?? []).some((x) => x > t)) return true;
    return handled.of(queue, id).some((h) => h.proc !== proc);
  };
}

/** Was a retry copy of this delivery confirmed (a `retry` event of the same process, queue and id) in (after, upTo]? */
function retryIndex(events: readonly HistoryEvent[]): (proc: string, queue: string, id: string, after: number, upTo: number) => boolean {
  const times = new Map<string, number[]>();
  for (const e of historyIndex(events).ofKind('retry')) {
    const k = `${e.proc}\u0000${messageKey(e.queue, e.id)}`;
    const list = times.get(k);
    if (list) list.push(e.t);
    else times.set(k, [e.t]);
  }
  return (proc, queue, id, after, upTo) => (times.get(`${proc}\u0000${messageKey(queue, id)}`) ?? []).some((t) => t > after && t <= upTo);
}

function deadLetteredKeys(events: readonly HistoryEvent[]): Set<string> {
  const keys = new Set<string>();
  for (const e of historyIndex(events).ofKind('dead-lettered')) keys.add(messageKey(e.queue, e.id));
  return keys;
}

function example(d: TrackedDelivery, note: string): AckViolationExample {
  return settleExample(d.deliver, note);
}

/** An example named by the event that showed it (a delivery, or a settle that matched none). */
function settleExample(e: DeliverEvent | SettleEvent, note: string): AckViolationExample {
  return { id: e.id, consumer: e.proc, queue: e.queue, channel: e.channel, deliveryTag: e.deliveryTag, t: e.t, note };
}

interface Row {
  deliveries: number;
  acked: number;
  nacked: number;
  rejected: number;
  abandoned: number;
  violations: number;
}

class RowCounter {
  /** queue -> consumer -> row (nested: no key string per delivery). */
  readonly #rows = new PairMap<{ queue: string; consumer: string; row: Row }>();
  readonly #order: { queue: string; consumer: string; row: Row }[] = [];

  get(queue: string, consumer: string): Row {
    let entry = this.#rows.get(queue, consumer);
    if (!entry) {
      entry = { queue, consumer, row: { deliveries: 0, acked: 0, nacked: 0, rejected: 0, abandoned: 0, violations: 0 } };
      this.#rows.set(queue, consumer, entry);
      this.#order.push(entry);
    }
    return entry.row;
  }

  table(columns: string[], cells: (r: Row) => number[]): { columns: string[]; rows: (string | number)[][] } {
    const sorted = [...this.#order].sort(
      (a, b) => a.queue.localeCompare(b.queue) || a.consumer.localeCompare(b.consumer, 'en', { numeric: true }),
    );
    return { columns, rows: sorted.map((e) => [e.queue, e.consumer, ...cells(e.row)]) };
  }
}
