import type { Fault } from '../fault.ts';
import { BadFaultOptionError, describeSide, requireToxicity, toxicFault, type ProxyTarget, type StreamChoice } from './proxy-sides.ts';

export interface BandwidthOptions extends ProxyTarget {
  /** KB/s (1 KB = 1000 bytes), as Toxiproxy counts. */
  rateKBps?: number;
  /** Defaults to `both`: a thin pipe is thin both ways. */
  stream?: StreamChoice;
  toxicity?: number;
}

/** About 30 small order messages a second: well below what the load asks for. */
const DEFAULT_RATE_KBPS = 10;

/** A thin pipe: throughput between the system and the broker capped at a few KB/s. */
export function bandwidth(options: BandwidthOptions = {}): Fault {
  const { side = 'both', stream = 'both', toxicity = 1 } = options;
  const rate = options.rateKBps ?? DEFAULT_RATE_KBPS;
  // Toxiproxy reads rate <= 0 as "unlimited": that would be no fault at all.
  if (!(Number.isInteger(rate) && rate > 0)) throw new BadFaultOptionError('bandwidth', `rateKBps must be a whole number > 0, got ${rate}`);
  return toxicFault({
    name: 'bandwidth',
    traits: ['slows-network'],
    description: `cap ${stream === 'both' ? 'both directions' : stream} of ${describeSide(side)} at ${rate} KB/s`,
    side,
    stream,
    toxic: { type: 'bandwidth', toxicity: requireToxicity('bandwidth', toxicity), attributes: { rate } },
  });
}
