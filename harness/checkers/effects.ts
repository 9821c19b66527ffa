import type { Intent, Outcome } from '../../instrument/history-event.ts';
import { historyIndex, type HistoryIndex } from '../history/history-index.ts';
import type { DeclaredTopology, TargetEffects } from '../target/target.ts';
import type { Checker, CheckResult } from './checker.ts';
import { MAX_LISTED_IDS } from './delivery-ledger.ts';
import { ViolationList } from './violation-list.ts';

export type EffectsViolationKind =
  | 'duplicate-effect'
  | 'missing-effect'
  | 'forbidden-effect'
  | 'effects-disagree'
  | 'effect-of-refused-order'
  | 'effect-of-unknown-order'
  | 'accepted-not-stored'
  | 'invariant'
  | 'partial-order';

const PHRASES: Record<EffectsViolationKind, string> = {
  'duplicate-effect': 'effects applied more than once',
  'missing-effect': 'effects missing for finished orders',
  'forbidden-effect': 'effects that contradict the order outcome',
  'effects-disagree': 'finished orders holding one effect of a pair without the other (e.g. a charge without its notification)',
  'effect-of-refused-order': 'effects of orders the client was told failed',
  'effect-of-unknown-order': 'effects of orders nobody placed',
  'accepted-not-stored': 'accepted orders the target did not store as accepted',
  invariant: "breaches of the target's own store invariants",
  'partial-order': 'partial orders: some effects applied, the order never finished (with client retries on)',
};

/** One order's effects, for the partial-order rule and for reading an order's story. */
export interface PartialOrder {
  orderId: string;
  client: Outcome | 'none';
  has: string[];
  lacks: string[];
}

export interface EffectsExample {
  orderId?: string;
  kind?: string;
  subject?: string;
  note: string;
}

type Terminal = 'completed' | 'failed';

/**
 * Effects the target read back from its stores (`run.effects`), against what the client and the
 * workers saw, by the rules the target declares with them:
 * - exactly once: no (order, effect kind) is held more than once (the headline: "order X: charge x2");
 * - a finished order (its first terminal effect in the history, per `topology.terminalEffects`)
 *   holds every `requiredKinds` (completed) or `requiredWhenFailed` kind, none of the kinds
 *   forbidden for its outcome, and both or neither of each `together` pair;
 * - an order the client was told failed holds no effect at all, nor does an order nobody placed;
 * - every accepted order is among `storedOrders` (when the target says what it stored);
 * - the target's own invariants over its stores hold (e.g. stock conserved);
 * - partial orders: an order meant to be processed (intent `normal`) that never finished holds no
 *   effect beyond `bookkeepingKinds`; with client retries off, one the client was not sure of is
 *   the client's to retry: reported, not failed.
 * Client outcomes follow the ledger (a later `ok` supersedes; `info` then `fail` stays in doubt).
 * No `run.effects`, or unreadable stores, make the verdict `unknown` (violations found still fail it).
 */
export function effectsChecker(): Checker {
  return {
    name: 'effects',
    check(run): CheckResult {
      const effects = run.effects;
      if (!effects)
        return { valid: 'unknown', summary: `cannot check effects: target ${run.target} gave none to read back (no run.effects)` };
      const index = historyIndex(run.events);
      const outcomes = clientOutcomes(index);
      const intents = clientIntents(index);
      const terminal = terminalStates(index, run.topology);
      const held = effectsByOrder(effects);
      const violations = new ViolationList<EffectsViolationKind, EffectsExample>();
      const hasClient = outcomes.size > 0;
      const kindsOf = (orderId: string): ReadonlyMap<string, number> => held.get(orderId) ?? new Map<string, number>();

      // Exactly once, and nothing for orders refused or never placed.
      const duplicated: Record<string, string[]> = {};
      /** The first duplicate of each kind, for the headline. */
      const firstDuplicate = new Map<string, string>();
      for (const [orderId, kinds] of held) {
        for (const [kind, count] of kinds) {
          if (count <= 1) continue;
          const note = `order ${orderId}: ${kind} x${count}`;
          violations.add('duplicate-effect', { orderId, kind, note });
          if (!firstDuplicate.has(kind)) firstDuplicate.set(kind, note);
          const list = (duplicated[kind] ??= []);
          if (list.length < MAX_LISTED_IDS) list.push(orderId);
        }
        const outcome = outcomes.get(orderId);
        const kindList = [...kinds.keys()].join(', ');
        if (outcome === 'fail')
          violations.add('effect-of-refused-order', { orderId, note: `order ${orderId} holds ${kindList}, the client was told it failed` });
        else if (outcome === undefined && hasClient)
          violations.add('effect-of-unknown-order', { orderId, note: `order ${orderId} holds ${kindList}, no client ever placed it` });
      }

      // Finished orders hold what their outcome calls for. An effect missing because its store could
      // not be read proves nothing: absences are judged only when every store was read.
      const unreadable = effects.unreadable ?? [];
      const absencesCount = unreadable.length === 0;
      const finished = [...terminal].filter(([orderId]) => outcomes.get(orderId) !== 'fail');
      for (const [orderId, state] of finished) {
        const kinds = kindsOf(orderId);
        const required = state === 'completed' ? effects.requiredKinds : (effects.requiredWhenFailed ?? []);
        const forbidden = state === 'completed' ? (effects.forbiddenWhenCompleted ?? []) : (effects.forbiddenWhenFailed ?? []);
        for (const kind of forbidden)
          if (kinds.has(kind)) violations.add('forbidden-effect', { orderId, kind, note: `order ${orderId} ${state} but holds ${kind}` });
        if (!absencesCount) continue;
        for (const kind of required)
          if (!kinds.has(kind)) violations.add('missing-effect', { orderId, kind, note: `order ${orderId} ${state} without ${kind}` });
        for (const [a, b] of effects.together ?? []) {
          if (kinds.has(a) !== kinds.has(b))
            violations.add('effects-disagree', {
              orderId,
              kind: kinds.has(a) ? b : a,
              note: `order ${orderId} ${state}: holds ${kinds.has(a) ? a : b} without ${kinds.has(a) ? b : a}`,
            });
        }
      }

      if (effects.storedOrders && absencesCount) {
        const stored = new Set(effects.storedOrders);
        for (const [orderId, outcome] of outcomes)
          if (outcome === 'ok' && !stored.has(orderId))
            violations.add('accepted-not-stored', {
              orderId,
              note: `order ${orderId} was accepted, the target did not store it as accepted`,
            });
      }
      for (const invariant of effects.invariants ?? [])
        for (const v of invariant.violations) violations.add('invariant', { subject: v.subject, note: v.note });

      // Partial orders: each order meant to be processed is complete or has no effect at all.
      const bookkeeping = new Set(effects.bookkeepingKinds ?? []);
      const partial: PartialOrder[] = [];
      for (const [orderId, outcome] of outcomes) {
        if (terminal.has(orderId) || intents.get(orderId) !== 'normal') continue;
        const has = [...kindsOf(orderId).keys()].filter((k) => !bookkeeping.has(k));
        if (has.length === 0) continue;
        const lacks = [...effects.requiredKinds.filter((k) => !kindsOf(orderId).has(k)), 'a final state (completed or failed)'];
        partial.push({ orderId, client: outcome, has, lacks });
      }
      const retriesOn = (run.clientRetries ?? 0) > 0;
      const excused = partial.filter((p) => !retriesOn && p.client !== 'ok');
      for (const p of partial)
        if (!excused.includes(p))
          violations.add('partial-order', {
            orderId: p.orderId,
            note: `order ${p.orderId} (client: ${p.client}) has ${p.has.join(', ')}; lacks ${p.lacks.join(', ')}`,
          });

      const count = (k: EffectsViolationKind) => violations.count(k);
      const refused = [...outcomes.values()].filter((o) => o === 'fail').length;
      const completed = finished.filter(([, s]) => s === 'completed').length;
      const table = {
        columns: ['check', 'checked', 'violations'],
        rows: [
          ['every effect at most once per order', effects.rows.length, count('duplicate-effect')],
          [
            'finished orders hold what their outcome calls for',
            finished.length,
            count('missing-effect') + count('forbidden-effect') + count('effects-disagree'),
          ],
          [
            'refused or unknown orders: no effect of any kind',
            refused,
            count('effect-of-refused-order') + count('effect-of-unknown-order'),
          ],
          ['accepted orders stored as accepted', effects.storedOrders?.length ?? 0, count('accepted-not-stored')],
          ...(effects.invariants ?? []).map((i) => [i.name, i.checked, i.violations.length]),
          ['orders: complete or no effect at all', outcomes.size, count('partial-order')],
        ] as (string | number)[][],
      };
      const rowsPerKind: Record<string, number> = {};
      for (const r of effects.rows) rowsPerKind[r.kind] = (rowsPerKind[r.kind] ?? 0) + 1;
      const counts = {
        ordersPlaced: outcomes.size,
        accepted: [...outcomes.values()].filter((o) => o === 'ok').length,
        refused,
        completed,
        failed: finished.length - completed,
        ordersPerKind: rowsPerKind,
      };
      const details = {
        counts,
        unreadable,
        duplicated,
        partialOrders: partial.length,
        partialNotRetried: excused.slice(0, MAX_LISTED_IDS),
        violations: violations.toRecord(),
        table,
      };
      if (violations.count() > 0) {
        const dup = violations.toRecord()['duplicate-effect'];
        // One example per duplicated kind, the target's required kinds first (a double charge leads), at most three.
        const rank = (kind: string) => {
          const k = effects.requiredKinds.indexOf(kind);
          return k === -1 ? effects.requiredKinds.length : k;
        };
        const kinds = [...firstDuplicate.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
        const headline = dup
          ? `${kinds
              .slice(0, 3)
              .map((k) => firstDuplicate.get(k))
              .join(', ')}${kinds.length > 3 ? ', ...' : ''}; `
          : '';
        return {
          valid: false,
          summary: `${headline}${violations.describe(PHRASES)}${unreadable.length ? ` (stores unreadable: ${unreadable.join(', ')})` : ''}`,
          ...details,
        };
      }
      if (unreadable.length) return { valid: 'unknown', summary: `cannot check effects: ${unreadable.join(', ')}`, ...details };
      if (counts.accepted === 0) return { valid: 'unknown', summary: 'no order was accepted: the effects prove nothing', ...details };
      const excusedNote = excused.length
        ? `; ${excused.length} partial, in doubt, not retried (client retries off): ${excused
            .slice(0, 3)
            .map((p) => p.orderId)
            .join(', ')}`
        : '';
      const invariants = (effects.invariants ?? []).map((i) => `${i.name} (${i.checked})`).join('; ');
      return {
        valid: true,
        summary:
          `${finished.length} finished orders hold their effects once each${invariants ? `; ${invariants}` : ''}; ` +
          `no partial order${excusedNote}`,
        ...details,
      };
    },
  };
}

/** order -> effect kind -> how many times the stores hold it. */
function effectsByOrder(effects: TargetEffects): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  for (const r of effects.rows) {
    let kinds = out.get(r.orderId);
    if (!kinds) out.set(r.orderId, (kinds = new Map()));
    kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + r.count);
  }
  return out;
}

/** The client's final word on each order, with the ledger's precedence. */
export function clientOutcomes(index: HistoryIndex): Map<string, Outcome> {
  return index.derived('client-outcomes', () => {
    const out = new Map<string, Outcome>();
    for (const e of index.ofKind('order-request')) {
      const prior = out.get(e.orderId);
      if (prior !== 'ok') out.set(e.orderId, prior === 'info' && e.outcome === 'fail' ? 'info' : e.outcome);
    }
    return out;
  });
}

/** What the client meant each order to do (an order sent without saying is `normal`). */
function clientIntents(index: HistoryIndex): Map<string, Intent> {
  const out = new Map<string, Intent>();
  for (const e of index.ofKind('order-request')) out.set(e.orderId, e.intent ?? out.get(e.orderId) ?? 'normal');
  return out;
}

/** Each order's first terminal effect in the history, by the target's declaration of what ends an order. */
function terminalStates(index: HistoryIndex, topology: DeclaredTopology): Map<string, Terminal> {
  const completed = new Set(topology.terminalEffects?.completed ?? []);
  const failed = new Set(topology.terminalEffects?.failed ?? []);
  const out = new Map<string, Terminal>();
  for (const e of index.ofKind('handled')) {
    if (out.has(e.orderId)) continue;
    if (completed.has(e.effect)) out.set(e.orderId, 'completed');
    else if (failed.has(e.effect)) out.set(e.orderId, 'failed');
  }
  return out;
}
