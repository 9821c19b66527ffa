import type { Checker, CheckResult } from './checker.ts';

/**
 * Zero loss, Jepsen total-queue style, per pipeline stage and end to end: every confirmed
 * message was consumed (or dead-lettered) at every queue it was routed to, nothing was consumed
 * that nobody published, and every order the API accepted (202) reached a terminal state or the
 * dead-letter queue. Duplicates, recovered in-doubt publishes and in-doubt orders are reported but
 * allowed: the system never promised them.
 */
export function zeroLossChecker(): Checker {
  return {
    name: 'zero-loss',
    check(run): CheckResult {
      const stages = run.ledger.stages();
      const orders = run.ledger.orders();
      const lostMessages = stages.reduce((n, s) => n + s.lostCount, 0);
      const unexpected = stages.reduce((n, s) => n + s.unexpectedCount, 0);
      const table = {
        columns: ['stage', 'attempted', 'confirmed', 'consumed', 'lost', 'unexpected', 'duplicated', 'recovered', 'in doubt', 'dead-lettered'],
        rows: [
          ['orders (end to end)', orders.accepted + orders.inDoubt + orders.refused, orders.accepted, orders.accountedFor, orders.lostCount, 0, 0, orders.recovered, orders.inDoubt, orders.deadLettered],
          ...stages.map((s) => [s.queue, s.attempted, s.confirmed, s.consumed, s.lostCount, s.unexpectedCount, s.duplicated, s.recovered, s.inDoubt, s.deadLettered]),
        ],
      };
      const details = { orders, stages, lostOrderIds: orders.lost, lostMessages, unexpectedMessages: unexpected, table };
      if (orders.lostCount > 0 || lostMessages > 0 || unexpected > 0) {
        const parts = [
          orders.lostCount ? `${orders.lostCount} of ${orders.accepted} accepted orders lost` : '',
          lostMessages ? `${lostMessages} confirmed messages never consumed (${stages.filter((s) => s.lostCount).map((s) => `${s.queue}: ${s.lostCount}`).join(', ')})` : '',
          unexpected ? `${unexpected} messages consumed that nobody published` : '',
        ].filter(Boolean);
        return { valid: false, summary: parts.join('; '), ...details };
      }
      if (orders.accepted === 0) {
        return { valid: 'unknown', summary: 'no order was accepted: the run tested nothing', ...details };
      }
      const notes = [
        orders.inDoubt ? `${orders.inDoubt} in doubt (${orders.recovered} recovered)` : '',
        orders.refused ? `${orders.refused} refused` : '',
      ].filter(Boolean);
      return { valid: true, summary: `all ${orders.accepted} accepted orders accounted for${notes.length ? `; ${notes.join(', ')}` : ''}`, ...details };
    },
  };
}
