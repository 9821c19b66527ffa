import { brokerHeld, heldIn, splitMissing } from './broker-held.ts';
import type { Checker, CheckResult } from './checker.ts';

/**
 * Zero loss, Jepsen total-queue style, per pipeline stage and end to end: every confirmed
 * message was consumed (or dead-lettered) at every queue it was routed to, nothing was consumed
 * that nobody published, and every order the API accepted (202) reached a terminal state or the
 * dead-letter queue. Duplicates, recovered in-doubt publishes and in-doubt orders are reported but
 * allowed: the system never promised them.
 *
 * A message that was never consumed but that the broker still holds at the end is not lost: it is
 * stuck (the liveness check judges that). Without the broker's figures every missing message counts
 * as lost.
 */
export function zeroLossChecker(): Checker {
  return {
    name: 'zero-loss',
    check(run): CheckResult {
      const held = brokerHeld(run);
      const stages = run.ledger.stages().map((s) => {
        const split = splitMissing(s.lostCount, held?.get(s.queue));
        // `lost` keeps the ids of every missing message; the counts say which part the broker still holds.
        return { ...s, missingCount: s.lostCount, lostCount: split.lost, stuckCount: split.stuck };
      });
      const orders = run.ledger.orders();
      const lostMessages = stages.reduce((n, s) => n + s.lostCount, 0);
      const stuckMessages = stages.reduce((n, s) => n + s.stuckCount, 0);
      const unexpected = stages.reduce((n, s) => n + s.unexpectedCount, 0);
      // Each message the broker still holds in the pipeline (a missing one, or a redelivery of one that was
      // handled but whose follow-ups never went out) can hold back at most one order; orders missing beyond that are lost.
      const heldInPipeline = heldIn(held, stages.map((s) => s.queue));
      const lostOrders = Math.max(0, orders.lostCount - heldInPipeline);
      const table = {
        columns: ['stage', 'attempted', 'confirmed', 'consumed', 'lost', 'stuck', 'unexpected', 'duplicated', 'recovered', 'in doubt', 'dead-lettered'],
        rows: [
          ['orders (end to end)', orders.accepted + orders.inDoubt + orders.refused, orders.accepted, orders.accountedFor, lostOrders, orders.lostCount - lostOrders, 0, 0, orders.recovered, orders.inDoubt, orders.deadLettered],
          ...stages.map((s) => [s.queue, s.attempted, s.confirmed, s.consumed, s.lostCount, s.stuckCount, s.unexpectedCount, s.duplicated, s.recovered, s.inDoubt, s.deadLettered]),
        ],
      };
      const details = {
        orders,
        stages,
        lostOrders,
        /** Accepted orders not accounted for (lost or stuck), capped for reading. */
        lostOrderIds: orders.lost,
        lostMessages,
        stuckMessages,
        heldInPipeline,
        unexpectedMessages: unexpected,
        brokerFigures: held !== undefined,
        table,
      };
      if (lostOrders > 0 || lostMessages > 0 || unexpected > 0) {
        const parts = [
          lostOrders ? `${lostOrders} of ${orders.accepted} accepted orders lost` : '',
          lostMessages ? `${lostMessages} confirmed messages never consumed (${stages.filter((s) => s.lostCount).map((s) => `${s.queue}: ${s.lostCount}`).join(', ')})` : '',
          unexpected ? `${unexpected} messages consumed that nobody published` : '',
        ].filter(Boolean);
        return { valid: false, summary: parts.join('; '), ...details };
      }
      if (orders.accepted === 0) {
        return { valid: 'unknown', summary: 'no order was accepted: the run tested nothing', ...details };
      }
      const notes = [
        orders.lostCount ? `${orders.lostCount} orders not finished, ${heldInPipeline} messages still held by the broker (stuck, see liveness)` : '',
        orders.inDoubt ? `${orders.inDoubt} in doubt (${orders.recovered} recovered)` : '',
        orders.refused ? `${orders.refused} refused` : '',
      ].filter(Boolean);
      const accounted = orders.lostCount ? 'nothing lost' : `all ${orders.accepted} accepted orders accounted for`;
      return { valid: true, summary: `${accounted}${notes.length ? `; ${notes.join(', ')}` : ''}`, ...details };
    },
  };
}
