import { connectionCut } from '../chaos/faults/connection-cut.ts';
import { defineScenario } from './define-scenario.ts';

export default defineScenario({
  name: 'connection-cut',
  proves:
    'when the network drops everything in flight and then tears every connection down, nothing confirmed is lost ' +
    'and the system reconnects by itself once the network is back',
  defaults: { rate: 100, duration: 30 },
  faults: ({ duration }) => [
    { at: Math.round(duration * 0.25), duration: 5, fault: connectionCut({ side: 'both', dropInFlightMs: 1_000 }) },
  ],
  checks: [],
  catches: ['no-reconnect', 'no-confirms'],
});
