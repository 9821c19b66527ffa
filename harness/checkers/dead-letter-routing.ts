import type { DeadLetteredEvent, DeliverEvent, HistoryEvent } from '../../instrument/history-event.ts';
import { historyIndex } from '../history/history-index.ts';
import type { DeclaredTopology, TargetEffects } from '../target/target.ts';
import type { Checker, CheckResult } from './checker.ts';
import { messageKey } from './delivery-tracking.ts';
import { intentDeaths, intentIndexOf, type ExpectedDeadLetter, type IntentDeathRules } from './intent-deaths.ts';
import { PairMap } from './pair-map.ts';
import { ViolationList } from './violation-list.ts';

export type { DeadLetterReason, ExpectedDeadLetter } from './intent-deaths.ts';

export interface DeadLetterRoutingOptions {
  /** Deaths beyond those the workload's intents call for (the checker derives those itself). */
  expectDeadLetters?: readonly ExpectedDeadLetter[];
  /** How poison and expiring messages must die; what the target declares (`topology.intentDeaths`) by default. */
  intentDeaths?: IntentDeathRules;
  /** Dead letters nobody expected and nobody processed fail the check unless this is set. */
  allowUnexpected?: boolean;
}

export type DeadLetterViolationKind =
  | 'missing'
  | 'handled-instead'
  | 'wrong-reason'
  | 'duplicate'
  | 'processed-and-dead-lettered'
  | 'unexpected'
  | 'normal-dead-lettered'
  | 'intent-mismatch'
  | 'store-mismatch';

const PHRASES: Record<DeadLetterViolationKind, string> = {
  missing: 'messages that had to die never reached the dead-letter queue (lost)',
  'handled-instead': 'messages that had to die were processed as a success instead',
  'wrong-reason': 'dead letters with the wrong reason',
  duplicate: 'messages dead-lettered more than once from the same queue',
  'processed-and-dead-lettered': 'messages processed successfully and also dead-lettered (never rejected)',
  unexpected: 'dead letters nobody expected',
  'normal-dead-lettered': 'messages the workload meant to be processed that were dead-lettered (a worker threw away good work)',
  'intent-mismatch':
    'dead letters whose reason or retry count contradicts what the workload meant (e.g. poison dead-lettered before its retries)',
  'store-mismatch': 'dead letters where the store and the history disagree',
};

export interface DeadLetterExample {
  id: string;
  queue: string;
  expected?: string;
  actual?: string;
  note?: string;
}

interface Expectation {
  /** rejects (and nacks with requeue=false) seen in the history, plus listed expectations. */
  count: number;
  rejects: number;
  reasons: Set<string>;
}

/**
 * Dead-letter routing. What must die follows from what the workload meant (the `intent` the client
 * and direct publishers record), never from the rejects themselves: a worker that rejects a good
 * order must not make its own death "expected".
 * - a dead letter of a message meant to be processed (`normal`) is a violation in every queue but
 *   a best-effort feed's; each other dead letter's reason and broker-side retry count must match
 *   its intent (poison: `rejected` after the configured retries; expire: `expired`; malformed:
 *   `rejected` at once);
 * A message must die at a queue when a consumer rejected it (reject, or nack with requeue=false:
 * reason `rejected`), when its intent calls for it (see intent-deaths.ts), or the scenario says so
 * (`expectDeadLetters`). Then, per
 * (message id, queue it died in), read from the auditor's `dead-lettered` events:
 * - it was dead-lettered as often as it had to die (normally once), with the expected reason;
 *   fewer is `missing` (or `handled-instead` when a listed death was processed as a success),
 *   more is `duplicate`. The auditor writing the same dead letter again after its own redelivery
 *   is a replay, not a second death: a `dead-lettered` whose dead-letter-queue delivery had
 *   redelivered=true and follows an earlier one for the same (id, queue) is not counted;
 * - nothing processed successfully there (`handled` applied=true) was dead-lettered unless it was
 *   also rejected there (a handled message can fail on a later redelivery and be rejected);
 * - nothing else was dead-lettered (`unexpected`, unless allowed);
 * - when the target reads back its own dead-letter record (`run.effects.deadLetters`), its rows per
 *   reason match the distinct (id, queue) of the events.
 */
export function deadLetterRoutingChecker(options: DeadLetterRoutingOptions = {}): Checker {
  return {
    name: 'dead-letter-routing',
    check(run): CheckResult {
      const events = run.events;
      const index = historyIndex(events);
      const rules = options.intentDeaths ?? run.topology.intentDeaths ?? {};
      const bestEffort: readonly string[] = run.topology.bestEffortQueues;
      const expected = expectations(events, [...intentDeaths(events, run.topology, rules), ...(options.expectDeadLetters ?? [])]);
      const intents = intentIndexOf(events);
      const listed = new Set((options.expectDeadLetters ?? []).map((x) => messageKey(x.queue, x.id)));
      const injectedTo = new Map<string, string>();
      for (const e of index.ofKind('publish-attempt')) if (e.intent) injectedTo.set(e.id, e.routingKey);
      const recorded = countedDeadLetters(events, run.topology);
      // Processed successfully (handled, applied): only ever asked about what had to die or did die, so only those are kept.
      const asked = new PairMap<boolean>();
      for (const k of [...expected.keys(), ...recorded.keys()]) asked.set(...splitKey(k), false);
      for (const e of index.ofKind('handled')) if (e.applied && asked.has(e.queue, e.id)) asked.set(e.queue, e.id, true);
      const processed = { has: (k: string) => asked.get(...splitKey(k)) === true };
      const violations = new ViolationList<DeadLetterViolationKind, DeadLetterExample>();
      const rows = new Map<
        string,
        { queue: string; reason: string; expected: number; deadLettered: number; missing: number; unexpected: number; duplicates: number }
      >();
      const row = (queue: string, reason: string) => {
        const k = `${queue}\u0000${reason}`;
        let r = rows.get(k);
        if (!r) rows.set(k, (r = { queue, reason, expected: 0, deadLettered: 0, missing: 0, unexpected: 0, duplicates: 0 }));
        return r;
      };
      let handledThenRejected = 0;

      for (const [k, exp] of expected) {
        const [queue, id] = splitKey(k);
        const reason = [...exp.reasons].join('|');
        row(queue, reason).expected += exp.count;
        const got = recorded.get(k)?.length ?? 0;
        if (exp.rejects > 0 && processed.has(k)) handledThenRejected++;
        if (got >= exp.count) continue;
        row(queue, reason).missing += exp.count - got;
        if (got === 0 && exp.rejects === 0 && processed.has(k))
          violations.add('handled-instead', { id, queue, expected: reason, note: 'handled with applied=true, never dead-lettered' });
        else violations.add('missing', { id, queue, expected: reason, note: `had to die ${exp.count} time(s), dead-lettered ${got}` });
      }

      const perReason: Record<string, number> = {};
      const perQueue: Record<string, number> = {};
      for (const [k, list] of recorded) {
        const [queue, id] = splitKey(k);
        const exp = expected.get(k);
        for (const e of list) {
          perReason[e.reason] = (perReason[e.reason] ?? 0) + 1;
          perQueue[queue] = (perQueue[queue] ?? 0) + 1;
          row(queue, e.reason).deadLettered++;
          if (exp && !exp.reasons.has(e.reason))
            violations.add('wrong-reason', { id, queue, expected: [...exp.reasons].join('|'), actual: e.reason });
          // A best-effort feed may drop anything; a death the scenario lists explicitly is declared intent too.
          if (bestEffort.includes(queue) || listed.has(k)) continue;
          const intent = intents.of(id, e.orderId);
          const death = intents.deathFor(intent, injectedTo.get(id), rules);
          if (!death)
            violations.add('normal-dead-lettered', {
              id,
              queue,
              actual: e.reason,
              note: `${intents.orderOf(id, e.orderId) ? `order ${intents.orderOf(id, e.orderId)}` : 'message'} meant to be processed`,
            });
          else if (death.reason !== e.reason || death.queue !== queue || (e.retries ?? 0) !== death.retries) {
            violations.add('intent-mismatch', {
              id,
              queue,
              expected: `${intent}: ${death.reason} in ${death.queue} after ${death.retries} retries`,
              actual: `${e.reason} after ${e.retries ?? 0} retries`,
            });
          }
        }
        const allowed = Math.max(1, exp?.count ?? 0);
        if (list.length > allowed) {
          row(queue, list[0]!.reason).duplicates += list.length - allowed;
          violations.add('duplicate', {
            id,
            queue,
            actual: list.map((e) => e.reason).join(','),
            note: `dead-lettered ${list.length} times, had to die ${exp?.count ?? 0}`,
          });
        }
        // A best-effort feed that overflows drops from its head, and a handled entry whose ack was lost with its
        // consumer goes back to the head: dropped after it was handled, the entry was still recorded once.
        const droppedAfterHandling = processed.has(k) && bestEffort.includes(queue) && list.every((e) => e.reason === 'maxlen');
        if (droppedAfterHandling) continue;
        if (processed.has(k) && !(exp && exp.rejects > 0)) {
          violations.add('processed-and-dead-lettered', {
            id,
            queue,
            actual: list[0]!.reason,
            note: 'handled with applied=true at this queue, never rejected there',
          });
        } else if (!exp) {
          row(queue, list[0]!.reason).unexpected++;
          if (!options.allowUnexpected)
            violations.add('unexpected', {
              id,
              queue,
              actual: list[0]!.reason,
              note: 'neither rejected in the history nor listed in expectDeadLetters',
            });
        }
      }

      const store = compareStore(run.effects, recorded, violations);
      const table = {
        columns: ['queue', 'reason', 'expected', 'dead-lettered', 'missing', 'unexpected', 'duplicates'],
        rows: [...rows.values()]
          .sort((a, b) => a.queue.localeCompare(b.queue) || a.reason.localeCompare(b.reason))
          .map((r) => [r.queue, r.reason, r.expected, r.deadLettered, r.missing, r.unexpected, r.duplicates]),
      };
      const mustDie = [...expected.values()].reduce((n, e) => n + e.count, 0);
      const deadLettered = [...recorded.values()].reduce((n, l) => n + l.length, 0);
      const details = { mustDie, deadLettered, perReason, perQueue, handledThenRejected, store, violations: violations.toRecord(), table };
      if (violations.count() > 0) return { valid: false, summary: violations.describe(PHRASES), ...details };
      if (events.length === 0) return { valid: 'unknown', summary: 'empty history: nothing to check', ...details };
      if (store.status === 'unreadable')
        return {
          valid: 'unknown',
          summary: `history agrees, but the target's dead-letter record could not be read: ${store.error}`,
          ...details,
        };
      const storeNote = store.status === 'checked' ? `; store agrees (${store.rows} rows)` : '';
      if (mustDie === 0 && deadLettered === 0)
        return { valid: true, summary: `no message had to die and none was dead-lettered${storeNote}`, ...details };
      const reasons = Object.entries(perReason)
        .map(([r, n]) => `${n} ${r}`)
        .join(', ');
      return {
        valid: true,
        summary: `all ${mustDie} messages that had to die were dead-lettered once with the right reason (${reasons || 'none'})${storeNote}`,
        ...details,
      };
    },
  };
}

function expectations(events: readonly HistoryEvent[], listed: readonly ExpectedDeadLetter[]): Map<string, Expectation> {
  const out = new Map<string, Expectation>();
  const add = (queue: string, id: string, reason: string, reject: boolean) => {
    const k = messageKey(queue, id);
    let exp = out.get(k);
    if (!exp) out.set(k, (exp = { count: 0, rejects: 0, reasons: new Set() }));
    exp.count++;
    if (reject) exp.rejects++;
    exp.reasons.add(reason);
  };
  for (const e of historyIndex(events).ofKinds(['reject', 'nack'])) {
    const dies = (e.kind === 'reject' && e.requeue !== true) || (e.kind === 'nack' && e.requeue === false);
    if (dies) add(e.queue, e.id, 'rejected', true);
  }
  for (const x of listed) add(x.queue, x.id, x.reason, false);
  return out;
}

/** Dead-lettered events per (queue, id), without the auditor's replays of a dead letter it already recorded. */
function countedDeadLetters(events: readonly HistoryEvent[], topology: DeclaredTopology): Map<string, DeadLetteredEvent[]> {
  const out = new Map<string, DeadLetteredEvent[]>();
  /** proc/id -> that auditor's latest delivery of the id from the dead-letter queue. */
  const lastDelivery = new Map<string, DeliverEvent>();
  historyIndex(events).forEachOfKinds(['deliver', 'dead-lettered'], (e) => {
    if (e.kind === 'deliver' && e.queue === topology.deadLetterQueue) lastDelivery.set(`${e.proc}\u0000${e.id}`, e);
    if (e.kind !== 'dead-lettered') return;
    const k = messageKey(e.queue, e.id);
    const list = out.get(k) ?? [];
    const replay = list.length > 0 && lastDelivery.get(`${e.proc}\u0000${e.id}`)?.redelivered === true;
    if (!replay) list.push(e);
    out.set(k, list);
  });
  return out;
}

type StoreComparison =
  | { status: 'absent' }
  | { status: 'unreadable'; error: string }
  | { status: 'checked'; rows: number; perReason: Record<string, { events: number; store: number }> };

/**
 * The target's dead-letter record keeps one row per (message, queue), with the reason first seen:
 * each counted (id, queue) of the history must have its row with the reason of its first event,
 * and each row its events. Per-reason totals are reported; every disagreeing (id, queue) is a violation.
 */
function compareStore(
  effects: TargetEffects | undefined,
  recorded: ReadonlyMap<string, DeadLetteredEvent[]>,
  violations: ViolationList<DeadLetterViolationKind, DeadLetterExample>,
): StoreComparison {
  if (effects?.deadLettersUnreadable) return { status: 'unreadable', error: effects.deadLettersUnreadable };
  if (!effects?.deadLetters) return { status: 'absent' };
  const rows = effects.deadLetters.map((r) => ({ message_id: r.messageId, queue: r.queue, reason: r.reason }));
  const perReason: Record<string, { events: number; store: number }> = {};
  const bump = (reason: string, side: 'events' | 'store') => {
    perReason[reason] ??= { events: 0, store: 0 };
    perReason[reason][side]++;
  };
  const inStore = new Map<string, string>();
  for (const r of rows) {
    inStore.set(messageKey(r.queue, r.message_id), r.reason);
    bump(r.reason, 'store');
  }
  for (const [k, list] of recorded) {
    const reason = list[0]!.reason;
    bump(reason, 'events');
    const [queue, id] = splitKey(k);
    const stored = inStore.get(k);
    if (stored === undefined)
      violations.add('store-mismatch', {
        id,
        queue,
        expected: reason,
        note: "dead-lettered in the history, no row in the target's dead-letter record",
      });
    else if (stored !== reason)
      violations.add('store-mismatch', { id, queue, expected: reason, actual: stored, note: 'the store row has another reason' });
  }
  for (const [k, reason] of inStore) {
    if (recorded.has(k)) continue;
    const [queue, id] = splitKey(k);
    violations.add('store-mismatch', {
      id,
      queue,
      actual: reason,
      note: "row in the target's dead-letter record, no dead-lettered event in the history",
    });
  }
  return { status: 'checked', rows: rows.length, perReason };
}

function splitKey(k: string): [queue: string, id: string] {
  const i = k.indexOf('\u0000');
  return [k.slice(0, i), k.slice(i + 1)];
}
