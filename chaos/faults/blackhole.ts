import type { Fault } from '../fault.ts';
import { describeSide, toxicFault, type ProxyTarget } from './proxy-sides.ts';

export type BlackholeOptions = ProxyTarget;

/**
 * A network partition nobody announces: a timeout toxic with timeout 0 on both directions swallows
 * every byte and never closes the connection, so only heartbeats can tell the connection is dead.
 * Healing removes the toxics, which closes the connections they held (their swallowed bytes are gone).
 */
export function blackhole(options: BlackholeOptions = {}): Fault {
  const { side = 'both' } = options;
  return toxicFault({
    name: 'blackhole',
    traits: ['silences-connections'],
    description: `silently drop every byte of ${describeSide(side)} in both directions, connections left open (only heartbeats notice)`,
    side,
    stream: 'both',
    toxic: { type: 'timeout', attributes: { timeout: 0 } },
  });
}
