import type { HistoryEvent, OrderRequestEvent } from '../../instrument/history-event.ts';
import type { Checker, CheckResult } from './checker.ts';
import { MAX_LISTED_IDS } from './delivery-ledger.ts';

/**
 * Jepsen's set checker, end to end, for a target the harness sees only from outside: every order
 * the client was told was accepted must be visible in what the target reads back (`run.processed`),
 * exactly once, and nothing may be visible that the client never sent. Accounting is by id, never
 * by counts (a count hides one lost order behind one unexpected one).
 * - **lost**: accepted (an `ok` attempt), not visible, and not read back from any queue at the end;
 * - **stuck**: accepted, not visible, but read back from a queue by the final read: the broker still
 *   holds it and the system never processed it. A promise not kept either way: INVALID;
 * - **duplicated**: visible more than once. INVALID: the set checker's contract is exactly once
 *   (a black box that means at-least-once must dedupe before it reports, as examples/plain-orders does);
 * - **unexpected**: visible but never attempted. INVALID;
 * - **recovered**: in doubt or refused, and visible anyway: the client could not know; allowed.
 * No readback (`run.processed` absent) proves nothing: `unknown`.
 */
export function setChecker(): Checker {
  return {
    name: 'set',
    check(run): CheckResult {
      const attempts = attemptsById(run.events);
      const readBack = readBackIds(run.events);
      const accepted = [...attempts].filter(([, a]) => a.outcome === 'ok').map(([id]) => id);
      const base = { attempted: attempts.size, accepted: accepted.length };
      if (run.processed === undefined) {
        return { valid: 'unknown', summary: 'the target read back nothing (no readback list): the set cannot be judged', ...base };
      }
      const visible = countIds(run.processed);
      const lost: string[] = [];
      const stuck: string[] = [];
      for (const id of accepted) {
        if (visible.has(id)) continue;
        if (readBack.has(id)) stuck.push(id);
        else lost.push(id);
      }
      const duplicated = [...visible].filter(([, n]) => n > 1).map(([id, times]) => ({ id, times }));
      const unexpected = [...visible.keys()].filter((id) => !attempts.has(id));
      const recovered = [...visible.keys()].filter((id) => attempts.has(id) && attempts.get(id)!.outcome !== 'ok');
      const inDoubt = [...attempts.values()].filter((a) => a.outcome === 'info').length;
      const refused = [...attempts.values()].filter((a) => a.outcome === 'fail').length;
      const finalRead = run.finalRead;
      const details = {
        ...base,
        visible: visible.size,
        lostCount: lost.length,
        stuckCount: stuck.length,
        duplicatedCount: duplicated.length,
        unexpectedCount: unexpected.length,
        recoveredCount: recovered.length,
        inDoubt,
        refused,
        lostIds: lost.slice(0, MAX_LISTED_IDS),
        stuckIds: stuck.slice(0, MAX_LISTED_IDS),
        duplicatedIds: duplicated.slice(0, MAX_LISTED_IDS),
        unexpectedIds: unexpected.slice(0, MAX_LISTED_IDS),
        finalRead: finalRead ? { complete: finalRead.complete, messages: finalRead.messages } : null,
        table: {
          columns: ['attempted', 'accepted', 'visible', 'lost', 'stuck', 'duplicated', 'unexpected', 'recovered', 'in doubt', 'refused'],
          rows: [
            [
              attempts.size,
              accepted.length,
              visible.size,
              lost.length,
              stuck.length,
              duplicated.length,
              unexpected.length,
              recovered.length,
              inDoubt,
              refused,
            ],
          ],
        },
      };
      const problems = [
        lost.length ? `${lost.length} of ${accepted.length} accepted orders lost (${sample(lost)})` : '',
        stuck.length ? `${stuck.length} accepted orders stuck in the broker, never processed (${sample(stuck)})` : '',
        duplicated.length
          ? `${duplicated.length} orders visible more than once (${sample(duplicated.map((d) => `${d.id} x${d.times}`))})`
          : '',
        unexpected.length ? `${unexpected.length} orders visible that were never sent (${sample(unexpected)})` : '',
      ].filter(Boolean);
      if (problems.length > 0) {
        // A loss stays a loss without a final read: it could only have been stuck instead, which fails too.
        const unread =
          lost.length && finalRead?.complete !== true ? '; the final read of the queues was incomplete, so some "lost" may be stuck' : '';
        return { valid: false, summary: problems.join('; ') + unread, ...details };
      }
      if (accepted.length === 0) return { valid: 'unknown', summary: 'no order was accepted: the run tested nothing', ...details };
      const notes = [
        inDoubt ? `${inDoubt} in doubt` : '',
        recovered.length ? `${recovered.length} recovered` : '',
        refused ? `${refused} refused` : '',
      ].filter(Boolean);
      return {
        valid: true,
        summary: `all ${accepted.length} accepted orders visible exactly once${notes.length ? `; ${notes.join(', ')}` : ''}`,
        ...details,
      };
    },
  };
}

interface Attempts {
  /** `ok` if any attempt was accepted, else `info` if any was in doubt, else `fail`. */
  outcome: 'ok' | 'info' | 'fail';
}

/** Each order id's best outcome over all its attempts (a retry may succeed after a refusal). */
function attemptsById(events: readonly HistoryEvent[]): Map<string, Attempts> {
  const byId = new Map<string, Attempts>();
  const rank = { fail: 0, info: 1, ok: 2 } as const;
  for (const e of events) {
    if (e.kind !== 'order-request') continue;
    const { orderId, outcome } = e as OrderRequestEvent;
    const seen = byId.get(orderId);
    if (!seen || rank[outcome] > rank[seen.outcome]) byId.set(orderId, { outcome });
  }
  return byId;
}

/** Ids the harness read back from the broker's queues after the drain (the message id, or the order id it carried). */
function readBackIds(events: readonly HistoryEvent[]): Set<string> {
  const ids = new Set<string>();
  for (const e of events) {
    if (e.kind !== 'final-read') continue;
    if (e.orderId) ids.add(e.orderId);
    if (e.id !== 'no-id') ids.add(e.id);
  }
  return ids;
}

function countIds(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

const SAMPLE = 3;
function sample(ids: readonly string[]): string {
  return ids.slice(0, SAMPLE).join(', ') + (ids.length > SAMPLE ? ', ...' : '');
}
