import {
  TOXIC_STREAMS,
  type Fault,
  type FaultEnv,
  type FaultTrait,
  type ProxyControl,
  type ToxicSpec,
  type ToxicStream,
} from '../fault.ts';

/** Which proxy a network fault acts on: the system's publishing connections, its consuming ones, or both. */
export type ProxySide = 'producer' | 'consumer' | 'both';
/** Which direction of a proxied connection a toxic acts on (`upstream` = client to broker). */
export type StreamChoice = ToxicStream | 'both';

export interface ProxyTarget {
  /** Defaults to `both`. */
  side?: ProxySide;
}

export class BadFaultOptionError extends Error {
  constructor(fault: string, message: string) {
    super(`${fault}: ${message}`);
    this.name = 'BadFaultOptionError';
  }
}

export function proxiesOf(env: FaultEnv, side: ProxySide): ProxyControl[] {
  if (side === 'producer') return [env.proxies.producer];
  if (side === 'consumer') return [env.proxies.consumer];
  return [env.proxies.producer, env.proxies.consumer];
}

export function streamsOf(stream: StreamChoice): readonly ToxicStream[] {
  return stream === 'both' ? TOXIC_STREAMS : [stream];
}

export function describeSide(side: ProxySide): string {
  return side === 'both'
    ? 'publishing and consuming connections'
    : side === 'producer'
      ? 'publishing connections'
      : 'consuming connections';
}

export function requireNonNegative(fault: string, what: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new BadFaultOptionError(fault, `${what} must be a number >= 0, got ${value}`);
  return value;
}

export function requireToxicity(fault: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new BadFaultOptionError(fault, `toxicity must be between 0 and 1, got ${value}`);
  return value;
}

/**
 * A fault made of one toxic per chosen proxy and stream. Each toxic is named after the fault, so
 * `stop` can remove exactly those, whether start added all of them, some, or none.
 */
export function toxicFault(spec: {
  name: string;
  description: string;
  /** What the toxic does (the side traits are added from `side`). */
  traits: readonly FaultTrait[];
  side: ProxySide;
  stream: StreamChoice;
  toxic: Omit<ToxicSpec, 'name' | 'stream'>;
}): Fault {
  const toxicName = (stream: ToxicStream) => `${spec.name}_${stream}`;
  const placements = (env: FaultEnv) =>
    proxiesOf(env, spec.side).flatMap((proxy) => streamsOf(spec.stream).map((stream) => ({ proxy, stream })));
  return {
    name: spec.name,
    description: spec.description,
    traits: [...spec.traits, ...sideTraits(spec.side)],
    async start(env) {
      for (const { proxy, stream } of placements(env)) {
        await proxy.addToxic({ ...spec.toxic, name: toxicName(stream), stream });
        env.log(`${spec.name}: ${spec.toxic.type} toxic on ${proxy.name} ${stream}`);
      }
    },
    async stop(env) {
      await Promise.all(placements(env).map(({ proxy, stream }) => proxy.removeToxic(toxicName(stream))));
    },
  };
}

/** The side traits of a network fault on `side`. */
export function sideTraits(side: ProxySide): FaultTrait[] {
  return side === 'both' ? ['producer-side', 'consumer-side'] : side === 'producer' ? ['producer-side'] : ['consumer-side'];
}
