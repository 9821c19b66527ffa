import type { Fault } from '../fault.ts';
import { describeSide, requireNonNegative, requireToxicity, toxicFault, type ProxyTarget, type StreamChoice } from './proxy-sides.ts';

export interface ResetPeerOptions extends ProxyTarget {
  /** How long after a connection's first data it is reset, in ms; 0 = at once. */
  afterMs?: number;
  /** Defaults to `upstream`: the client's first bytes (the AMQP header) trigger the reset. */
  stream?: StreamChoice;
  toxicity?: number;
}

/** Connections torn down with a TCP RST: live ones die, new ones die right after their first bytes. */
export function resetPeer(options: ResetPeerOptions = {}): Fault {
  const { side = 'both', stream = 'upstream', toxicity = 1 } = options;
  const afterMs = requireNonNegative('reset-peer', 'afterMs', options.afterMs ?? 0);
  return toxicFault({
    name: 'reset-peer',
    traits: ['cuts-connections'],
    description: `reset (TCP RST) ${describeSide(side)} ${afterMs > 0 ? `${afterMs} ms after` : 'on'} their next data`,
    side,
    stream,
    toxic: { type: 'reset_peer', toxicity: requireToxicity('reset-peer', toxicity), attributes: { timeout: afterMs } },
  });
}
