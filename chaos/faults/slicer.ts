import type { Fault } from '../fault.ts';
import {
  BadFaultOptionError,
  describeSide,
  requireNonNegative,
  requireToxicity,
  toxicFault,
  type ProxyTarget,
  type StreamChoice,
} from './proxy-sides.ts';

export interface SlicerOptions extends ProxyTarget {
  /** Average piece size in bytes. */
  averageSize?: number;
  /** Spread of the piece size in bytes (smaller than averageSize). */
  sizeVariation?: number;
  /** Pause between pieces, in microseconds (as Toxiproxy counts). */
  delayMicros?: number;
  /** Defaults to `both`. */
  stream?: StreamChoice;
  toxicity?: number;
}

const DEFAULT_AVERAGE_SIZE = 32;
const DEFAULT_SIZE_VARIATION = 16;
const DEFAULT_DELAY_MICROS = 500;

/** Fragmented TCP: AMQP frames arrive in small pieces with pauses between them (parsers must reassemble). */
export function slicer(options: SlicerOptions = {}): Fault {
  const { side = 'both', stream = 'both', toxicity = 1 } = options;
  const averageSize = options.averageSize ?? DEFAULT_AVERAGE_SIZE;
  const sizeVariation = requireNonNegative('slicer', 'sizeVariation', options.sizeVariation ?? DEFAULT_SIZE_VARIATION);
  const delay = requireNonNegative('slicer', 'delayMicros', options.delayMicros ?? DEFAULT_DELAY_MICROS);
  if (!(Number.isInteger(averageSize) && averageSize > 0))
    throw new BadFaultOptionError('slicer', `averageSize must be a whole number > 0, got ${averageSize}`);
  if (sizeVariation >= averageSize)
    throw new BadFaultOptionError('slicer', `sizeVariation (${sizeVariation}) must be smaller than averageSize (${averageSize})`);
  return toxicFault({
    name: 'slicer',
    traits: ['slows-network'],
    description:
      `slice ${stream === 'both' ? 'both directions' : stream} of ${describeSide(side)} ` +
      `into ~${averageSize}-byte pieces ${delay} µs apart`,
    side,
    stream,
    toxic: {
      type: 'slicer',
      toxicity: requireToxicity('slicer', toxicity),
      attributes: { average_size: averageSize, size_variation: sizeVariation, delay },
    },
  });
}
