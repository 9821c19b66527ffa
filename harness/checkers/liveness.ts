import type { FaultEvent, HistoryEvent, LifecycleEvent } from '../../instrument/history-event.ts';
import { historyIndex } from '../history/history-index.ts';
import type { Checker, CheckResult } from './checker.ts';
import { MAX_LISTED_IDS } from './delivery-ledger.ts';

export interface LivenessOptions {
  /**
   * Faults that silently black-hole connections, and which connections they hit. Each process must
   * notice (log a `disconnected`) within `detectWithinMs` of such a fault starting.
   */
  blackholes?: { fault: string; connections: 'publish' | 'consume' | 'both' }[];
  /** Default: three heartbeat intervals of the reference (5 s) plus slack. */
  detectWithinMs?: number;
}

export const DEFAULT_DETECT_WITHIN_MS = 20_000;

interface Unnoticed {
  connection: string;
  fault: string;
  /** How long it sat on the dead connection without noticing, within the fault window. */
  seconds: number;
}

/**
 * Liveness: the system did not get stuck. Two ways to be stuck that zero-loss cannot name:
 * - work the broker still holds at the end: messages the ledger misses whose own ids the final read
 *   found in a queue (ready with nobody consuming, unacked by consumers that stopped answering, or
 *   waiting in a retry queue nobody drains): nothing is lost, yet those orders will never finish;
 * - a connection that went dark and was never noticed (no heartbeats): the process keeps "using" it,
 *   looking healthy while nothing gets through.
 * Whatever the drain's outcome, outstanding work shows up here or in zero-loss by id.
 */
export function livenessChecker(options: LivenessOptions = {}): Checker {
  const detectWithinMs = options.detectWithinMs ?? DEFAULT_DETECT_WITHIN_MS;
  return {
    name: 'liveness',
    check(run): CheckResult {
      const stages = run.ledger.stages();
      const orders = run.ledger.orders();
      const stuck = stages.filter((s) => s.stuckCount > 0).map((s) => ({ queue: s.queue, stuck: s.stuckCount, ids: s.stuck.slice(0, 10) }));
      // Where the final read found the messages of the unfinished orders (their follow-ups may never have been confirmed).
      const unfinished = new Set(orders.stuck);
      const heldFor = new Map<string, number>();
      for (const e of historyIndex(run.events).ofKind('final-read'))
        if (e.orderId && unfinished.has(e.orderId)) heldFor.set(e.queue, (heldFor.get(e.queue) ?? 0) + 1);
      const stuckMessages = stuck.reduce((n, s) => n + s.stuck, 0);
      const unnoticed = unnoticedDeadConnections(run.events, options.blackholes ?? [], detectWithinMs);
      const table = {
        columns: ['queue', 'stuck (read back by id)', 'first ids'],
        rows: stuck.map((s) => [s.queue, s.stuck, s.ids.slice(0, 3).join(' ')]),
      };
      const details = {
        stuckOrders: orders.stuckCount,
        stuckOrderIds: orders.stuck,
        stuck,
        heldForUnfinishedOrders: Object.fromEntries(heldFor),
        unnoticedDeadConnections: unnoticed.slice(0, MAX_LISTED_IDS),
        finalRead: run.finalRead ?? null,
        table,
      };
      const problems = [
        stuckMessages || orders.stuckCount
          ? `stuck: ${orders.stuckCount} accepted orders unfinished and ${stuckMessages} confirmed messages never consumed, ` +
            `still held by the broker (${describeHeld(stuck, heldFor)})`
          : '',
        unnoticed.length
          ? `stuck on dead connections: ${unnoticed.length} connections never noticed the ` +
            `${[...new Set(unnoticed.map((u) => u.fault))].join('/')} (${unnoticed
              .slice(0, 5)
              .map((u) => `${u.connection} for ${u.seconds.toFixed(0)} s`)
              .join(', ')}${unnoticed.length > 5 ? ', ...' : ''})`
          : '',
      ].filter(Boolean);
      if (problems.length) return { valid: false, summary: problems.join('; '), ...details };
      const missing = orders.lostCount + stages.reduce((n, s) => n + s.lostCount, 0);
      if (missing > 0 && run.finalRead?.complete !== true)
        return {
          valid: 'unknown',
          summary: `${missing} orders or messages missing and no complete final read of the queues to tell stuck from lost`,
          ...details,
        };
      return {
        valid: true,
        summary: 'nothing stuck: no missing work was left in the broker, every dead connection was noticed',
        ...details,
      };
    },
  };
}

/** Per queue: the confirmed messages stuck there, else the messages of unfinished orders the final read found there. */
function describeHeld(stuck: readonly { queue: string; stuck: number }[], heldFor: ReadonlyMap<string, number>): string {
  if (stuck.length) return stuck.map((s) => `${s.queue}: ${s.stuck}`).join(', ');
  return [...heldFor].map(([queue, n]) => `${queue}: ${n} messages of unfinished orders`).join(', ');
}

/** Connections that stayed "up" through a black hole longer than detection allows. */
export function unnoticedDeadConnections(
  events: readonly HistoryEvent[],
  blackholes: LivenessOptions['blackholes'] & object,
  detectWithinMs: number,
): Unnoticed[] {
  if (blackholes.length === 0) return [];
  const index = historyIndex(events);
  const faults: FaultEvent[] = [...index.ofKind('fault')];
  const lifecycle: readonly LifecycleEvent[] = index.ofKind('lifecycle');
  const result: Unnoticed[] = [];
  for (const { fault, connections } of blackholes) {
    for (const window of faultWindows(faults, fault, index.sorted)) {
      if (window.end - window.start < detectWithinMs) continue;
      // Connections open when the black hole began: the last connected/disconnected event before it says which.
      const state = new Map<string, boolean>();
      for (const e of lifecycle) {
        if (e.t > window.start) break;
        const name = connectionName(e);
        if (!name) continue;
        if (e.event === 'connected') state.set(name, true);
        if (e.event === 'disconnected') state.set(name, false);
      }
      for (const [name, up] of state) {
        if (!up || !affects(connections, name)) continue;
        const noticed = lifecycle.some(
          (e) => e.event === 'disconnected' && e.t >= window.start && e.t <= window.start + detectWithinMs && connectionName(e) === name,
        );
        if (!noticed) result.push({ connection: name, fault, seconds: (window.end - window.start) / 1000 });
      }
    }
  }
  return result;
}

function faultWindows(faults: FaultEvent[], name: string, events: readonly HistoryEvent[]): { start: number; end: number }[] {
  const windows: { start: number; end: number }[] = [];
  let open: number | null = null;
  for (const f of faults) {
    if (f.name !== name) continue;
    if (f.phase === 'start') open = f.t;
    else if (f.phase === 'stop' && open !== null) {
      windows.push({ start: open, end: f.t });
      open = null;
    }
  }
  // Still active when the run was judged: it lasted at least until the last event.
  if (open !== null) windows.push({ start: open, end: events.length ? events[events.length - 1]!.t : open });
  return windows;
}

/** `payments-2 publish` from a lifecycle event's detail (`payments-2 publish: reason` or `payments-2 publish`). */
function connectionName(e: LifecycleEvent): string | undefined {
  if (e.event !== 'connected' && e.event !== 'disconnected') return undefined;
  const match = /^(\S+ (?:publish|consume))\b/.exec(e.detail ?? '');
  return match?.[1];
}

function affects(connections: 'publish' | 'consume' | 'both', name: string): boolean {
  return connections === 'both' || name.endsWith(` ${connections}`);
}
