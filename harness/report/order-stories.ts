import type { HistoryEvent } from '../../instrument/history-event.ts';
import type { CheckResult } from '../checkers/checker.ts';

/**
 * Which orders the report tells the story of, and each story: every history event about the order
 * (its own id, or any message id published for it), in time order, from every process. Pure.
 */

export interface FlaggedGroup {
  /** Where the ids were found, e.g. `zero-loss › lostOrderIds` or `effects › violations › partial-order`. */
  label: string;
  orderIds: string[];
}

export interface OrderStory {
  orderId: string;
  events: HistoryEvent[];
  /** Events left out of a very long story (a message redelivered hundreds of times). */
  omitted: number;
}

/** Keys of a check result that hold prose or layout, never ids. */
const NOT_IDS = new Set(['valid', 'summary', 'table']);
const MAX_DEPTH = 6;
export const MAX_STORY_EVENTS = 300;

/** Message id -> order id (from publish attempts), and every order id the client sent. */
export interface IdIndex {
  orders: ReadonlySet<string>;
  orderOfMessage: ReadonlyMap<string, string>;
}

export function idIndex(events: readonly HistoryEvent[]): IdIndex {
  const orders = new Set<string>();
  const orderOfMessage = new Map<string, string>();
  for (const e of events) {
    if (e.kind === 'order-request') orders.add(e.orderId);
    else if (e.kind === 'publish-attempt') orderOfMessage.set(e.id, e.orderId);
  }
  return { orders, orderOfMessage };
}

/**
 * Every order a check names (lost, stuck, partial, duplicated, wrongly dead-lettered...), found by
 * walking each check's details for strings that are order ids or message ids of this run, so a new
 * checker's lists show up without the report knowing its shape. Grouped by where they were found.
 */
export function flaggedOrders(checks: Record<string, CheckResult>, index: IdIndex): FlaggedGroup[] {
  const groups = new Map<string, Set<string>>();
  const add = (label: string, orderId: string) => {
    let set = groups.get(label);
    if (!set) groups.set(label, (set = new Set()));
    set.add(orderId);
  };
  const walk = (value: unknown, path: readonly string[], depth: number) => {
    if (depth > MAX_DEPTH) return;
    if (typeof value === 'string') {
      const orderId = index.orders.has(value) ? value : index.orderOfMessage.get(value);
      if (orderId) add(path.join(' › '), orderId);
    } else if (Array.isArray(value)) for (const v of value) walk(v, path, depth + 1);
    else if (value && typeof value === 'object')
      for (const [key, v] of Object.entries(value)) {
        if (depth === 0 && NOT_IDS.has(key)) continue;
        // An id's own key (orderId, id) names nothing a reader needs: the group is its container.
        walk(v, /^(order)?id$/i.test(key) ? path : [...path, key], depth + 1);
      }
  };
  for (const [name, result] of Object.entries(checks)) walk(result, [name], 0);
  return [...groups].map(([label, ids]) => ({ label, orderIds: [...ids] }));
}

/** Orders whose client never got an answer it could trust (no `ok`, at least one in-doubt answer). */
export function inDoubtOrders(events: readonly HistoryEvent[]): string[] {
  const state = new Map<string, { ok: boolean; doubt: boolean }>();
  for (const e of events) {
    if (e.kind !== 'order-request') continue;
    const s = state.get(e.orderId) ?? { ok: false, doubt: false };
    if (e.outcome === 'ok') s.ok = true;
    if (e.outcome === 'info') s.doubt = true;
    state.set(e.orderId, s);
  }
  return [...state].filter(([, s]) => s.doubt && !s.ok).map(([id]) => id);
}

/** The stories of the given orders, in one pass over the (time-ordered) events. */
export function orderStories(events: readonly HistoryEvent[], orderIds: readonly string[], index: IdIndex): OrderStory[] {
  const stories = new Map<string, OrderStory>(orderIds.map((id) => [id, { orderId: id, events: [], omitted: 0 }]));
  for (const e of events) {
    const orderId = orderOf(e, index);
    const story = orderId === undefined ? undefined : stories.get(orderId);
    if (!story) continue;
    if (story.events.length < MAX_STORY_EVENTS) story.events.push(e);
    else story.omitted++;
  }
  return [...stories.values()];
}

function orderOf(e: HistoryEvent, index: IdIndex): string | undefined {
  const own = 'orderId' in e && typeof e.orderId === 'string' ? e.orderId : undefined;
  if (own) return own;
  const id = 'id' in e && typeof e.id === 'string' ? e.id : undefined;
  return id === undefined ? undefined : (index.orderOfMessage.get(id) ?? (index.orders.has(id) ? id : undefined));
}
