import type { Checker, CheckResult } from './checker.ts';

/**
 * Zero loss, Jepsen total-queue style, per pipeline stage and end to end, by id:
 * - a confirmed message that was neither consumed nor dead-lettered at a queue it was routed to is
 *   **stuck** when its own id was read back from the broker after the drain (the final read), and
 *   **lost** otherwise: broker figures (counts) never excuse a loss;
 * - an accepted order (202) that reached no terminal state is stuck when a message of it was read
 *   back, lost otherwise; an order the workload meant to be processed (intent `normal`) that ended
 *   in the dead-letter queue is lost too: a worker threw it away;
 * - a message consumed that nobody published is unexpected.
 * Stuck work fails the liveness check, not this one. Duplicates, recovered in-doubt publishes and
 * in-doubt orders are reported but allowed: the system never promised them.
 * Without a complete final read, a missing message cannot be told stuck from lost: `unknown`.
 */
export function zeroLossChecker(): Checker {
  return {
    name: 'zero-loss',
    check(run): CheckResult {
      const stages = run.ledger.stages();
      const orders = run.ledger.orders();
      const lostMessages = stages.reduce((n, s) => n + s.lostCount, 0);
      const stuckMessages = stages.reduce((n, s) => n + s.stuckCount, 0);
      const unexpected = stages.reduce((n, s) => n + s.unexpectedCount, 0);
      const finalRead = run.finalRead;
      const readComplete = finalRead?.complete === true;
      const table = {
        columns: [
          'stage',
          'attempted',
          'confirmed',
          'consumed',
          'lost',
          'stuck',
          'unexpected',
          'duplicated',
          'recovered',
          'in doubt',
          'dead-lettered',
        ],
        rows: [
          [
            'orders (end to end)',
            orders.accepted + orders.inDoubt + orders.refused,
            orders.accepted,
            orders.accountedFor,
            orders.lostCount,
            orders.stuckCount,
            0,
            0,
            orders.recovered,
            orders.inDoubt,
            orders.deadLettered,
          ],
          ...stages.map((s) => [
            s.queue,
            s.attempted,
            s.confirmed,
            s.consumed,
            s.lostCount,
            s.stuckCount,
            s.unexpectedCount,
            s.duplicated,
            s.recovered,
            s.inDoubt,
            s.deadLettered,
          ]),
        ],
      };
      // A stage nothing was published to while orders were accepted was never exercised: the run cannot vouch for it.
      const unexercised = orders.accepted > 0 ? stages.filter((s) => s.attempted === 0).map((s) => s.queue) : [];
      const details = {
        orders,
        stages,
        lostOrders: orders.lostCount,
        lostOrderIds: orders.lost,
        stuckOrderIds: orders.stuck,
        wronglyDeadLettered: orders.wronglyDeadLettered,
        lostMessages,
        stuckMessages,
        unexpectedMessages: unexpected,
        unexercisedStages: unexercised,
        finalRead: finalRead
          ? { complete: finalRead.complete, messages: finalRead.messages, ...(finalRead.error ? { error: finalRead.error } : {}) }
          : null,
        table,
      };
      const missing = lostMessages + orders.lostCount;
      const violations = [
        orders.wronglyDeadLetteredCount
          ? `${orders.wronglyDeadLetteredCount} orders meant to be processed were dead-lettered ` +
            `(${orders.wronglyDeadLettered.slice(0, 3).join(', ')})`
          : '',
        unexpected ? `${unexpected} messages consumed that nobody published` : '',
      ].filter(Boolean);
      const losses = [
        orders.lostCount
          ? `${orders.lostCount} of ${orders.accepted} accepted orders lost ` +
            `(${orders.lost.slice(0, 3).join(', ')}${orders.lostCount > 3 ? ', ...' : ''})`
          : '',
        lostMessages
          ? `${lostMessages} confirmed messages never consumed nor read back (${stages
              .filter((s) => s.lostCount)
              .map((s) => `${s.queue}: ${s.lostCount}`)
              .join(', ')})`
          : '',
      ].filter(Boolean);
      if (violations.length > 0 || (missing > 0 && readComplete))
        return { valid: false, summary: [...losses, ...violations].join('; '), ...details };
      if (missing > 0) {
        return {
          valid: 'unknown',
          summary:
            `${losses.join('; ')}; but the final read of the broker's queues ` +
            `${finalRead ? `was incomplete (${finalRead.error ?? 'bounded'})` : 'did not happen'}, so stuck cannot be told from lost`,
          ...details,
        };
      }
      if (orders.accepted === 0) return { valid: 'unknown', summary: 'no order was accepted: the run tested nothing', ...details };
      if (unexercised.length > 0)
        return {
          valid: 'unknown',
          summary:
            `nothing was published to ${unexercised.join(', ')} although ${orders.accepted} orders were accepted: ` +
            'those stages were never exercised',
          ...details,
        };
      const notes = [
        orders.stuckCount || stuckMessages
          ? `${orders.stuckCount} orders and ${stuckMessages} messages stuck in the broker (read back by id, see liveness)`
          : '',
        orders.inDoubt ? `${orders.inDoubt} in doubt (${orders.recovered} recovered)` : '',
        orders.refused ? `${orders.refused} refused` : '',
      ].filter(Boolean);
      const accounted = orders.stuckCount ? 'nothing lost' : `all ${orders.accepted} accepted orders accounted for`;
      return { valid: true, summary: `${accounted}${notes.length ? `; ${notes.join(', ')}` : ''}`, ...details };
    },
  };
}
