import type { Fault } from '../fault.ts';
import { describeSide, requireNonNegative, requireToxicity, toxicFault, type ProxyTarget, type StreamChoice } from './proxy-sides.ts';

export interface LatencyOptions extends ProxyTarget {
  /** Added to every chunk, in ms. */
  latencyMs?: number;
  /** Uniform spread around latencyMs, in ms. */
  jitterMs?: number;
  /** Defaults to `downstream` (broker to client: confirms and deliveries arrive late). */
  stream?: StreamChoice;
  toxicity?: number;
}

const DEFAULT_LATENCY_MS = 200;
const DEFAULT_JITTER_MS = 50;

/** A slow network: every chunk between the system and the broker arrives late. */
export function latency(options: LatencyOptions = {}): Fault {
  const { side = 'both', stream = 'downstream', toxicity = 1 } = options;
  const latencyMs = requireNonNegative('latency', 'latencyMs', options.latencyMs ?? DEFAULT_LATENCY_MS);
  const jitterMs = requireNonNegative('latency', 'jitterMs', options.jitterMs ?? DEFAULT_JITTER_MS);
  return toxicFault({
    name: 'latency',
    traits: ['slows-network'],
    description: `delay ${stream === 'both' ? 'both directions' : stream} of ${describeSide(side)} by ${latencyMs} ms ± ${jitterMs} ms`,
    side,
    stream,
    toxic: { type: 'latency', toxicity: requireToxicity('latency', toxicity), attributes: { latency: latencyMs, jitter: jitterMs } },
  });
}
