import { blackhole } from '../chaos/faults/blackhole.ts';
import { DEFAULT_DETECT_WITHIN_MS } from '../harness/checkers/liveness.ts';
import { defineScenario } from './define-scenario.ts';

/** Longer than the liveness check's detection bound, so "never noticed" can be told from "slow to notice". */
const BLACKHOLE_SECONDS = Math.ceil(DEFAULT_DETECT_WITHIN_MS / 1000) + 5;

export default defineScenario({
  name: 'blackhole',
  proves:
    'connections that silently go dark (every byte dropped, nothing closed) are noticed through heartbeats within seconds, ' +
    'and nothing confirmed is lost while they are down',
  defaults: { rate: 100, duration: 40 },
  faults: () => [{ at: 5, duration: BLACKHOLE_SECONDS, fault: blackhole({ side: 'both' }) }],
  checks: [{ name: 'liveness', options: { blackholes: [{ fault: 'blackhole', connections: 'both' }] } }],
  catches: ['no-heartbeat'],
});
