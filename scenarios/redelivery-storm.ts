import { connectionCut } from '../chaos/faults/connection-cut.ts';
import { defineScenario } from './define-scenario.ts';

/** Up to four cuts, evenly spread, at least CUT_SPACING_SECONDS apart so each heals before the next. */
const MAX_CUTS = 4;
const CUT_SPACING_SECONDS = 6;
const CUT_SECONDS = 2;
/** A slow gateway keeps about 20 payments in flight at 100 orders/s: each cut catches them mid-way. */
const PAYMENTS_MS = 200;

export default defineScenario({
  name: 'redelivery-storm',
  proves:
    'when the consumers lose their connections again and again, ' +
    'handlers that committed their effect after their channel died see their message redelivered, ' +
    'and every order is still charged once, reserved once and notified once',
  defaults: { rate: 100, duration: 30 },
  settings: { processingMs: { payments: PAYMENTS_MS } },
  // For a second, acks are dropped on the way to the broker while the handlers finish and commit; then the connections close.
  faults: ({ duration }) => {
    const cuts = Math.max(1, Math.min(MAX_CUTS, Math.floor(duration / CUT_SPACING_SECONDS)));
    return Array.from({ length: cuts }, (_, k) => ({
      at: Math.max(1, Math.round((duration * (k + 0.5)) / cuts)),
      duration: CUT_SECONDS,
      fault: connectionCut({ side: 'consumer', dropInFlightMs: 1_000 }),
    }));
  },
  checks: [],
  catches: ['no-idempotency'],
});
