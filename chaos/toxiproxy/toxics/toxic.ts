// What a toxic is, and the registry that finds one by its type name (Toxiproxy's toxics/toxic.go).
//
//              Toxic
//                v
// Client <-> ToxicStub <-> Upstream
//
// A toxic only holds settings and a pipe() loop; per-connection state lives on the ToxicStub,
// so one toxic instance serves every connection of its proxy.
import type { ToxicStub } from './toxic-stub.ts';

/** ToxicStub.read() and sleep() report an interrupt with this instead of data. */
export const INTERRUPTED = Symbol('interrupted');
/** ToxicStub.readWithin() reports that nothing arrived in time with this. */
export const TIMED_OUT = Symbol('timed out');

export interface Toxic {
  /**
   * Moves chunks from stub.input to stub.output until the input ends (then calls stub.close()) or the
   * stub is interrupted (then returns, handing back with stub.unread() anything it still holds).
   */
  pipe(stub: ToxicStub): Promise<void>;
}

/** A toxic that keeps per-connection state across re-runs of its stub (limit_data counts bytes). */
export interface StatefulToxic extends Toxic {
  newState(): unknown;
}

/** A toxic that must act on live connections when it is removed (timeout closes them). */
export interface CleanupToxic extends Toxic {
  cleanup(stub: ToxicStub): void;
}

export function isStateful(toxic: Toxic): toxic is StatefulToxic {
  return typeof (toxic as Partial<StatefulToxic>).newState === 'function';
}

export function isCleanup(toxic: Toxic): toxic is CleanupToxic {
  return typeof (toxic as Partial<CleanupToxic>).cleanup === 'function';
}

/** Go integer kinds of the attribute fields; they decide which JSON numbers are accepted. */
export type AttributeKind = 'int' | 'int64';

/** A toxic type as registered: a class with typed numeric settings that JSON `attributes` fill in. */
export interface ToxicClass {
  new (): Toxic;
  /** The Go struct name, used in JSON decoding errors exactly as Toxiproxy reports them. */
  readonly structName: string;
  /** Attribute names in the order Toxiproxy serialises them. */
  readonly attributes: Readonly<Record<string, AttributeKind>>;
  /** Toxiproxy sets SO_LINGER 0 on both sockets of a connection whose chain holds reset_peer, so closes become RSTs. */
  readonly resetsConnection?: boolean;
}

const registry = new Map<string, ToxicClass>();

export function registerToxic(type: string, toxicClass: ToxicClass): void {
  registry.set(type, toxicClass);
}

export function findToxicClass(type: string): ToxicClass | undefined {
  return registry.get(type);
}

export function registeredToxicTypes(): string[] {
  return [...registry.keys()];
}

/** Reads the typed settings of a toxic as a plain attributes object, in declaration order. */
export function attributesOf(toxic: Toxic, toxicClass: ToxicClass): Record<string, number> {
  const values = toxic as unknown as Record<string, number>;
  const result: Record<string, number> = {};
  for (const name of Object.keys(toxicClass.attributes)) result[name] = values[name] ?? 0;
  return result;
}

/** Writes already-validated attribute values onto a toxic's typed settings. */
export function assignAttributes(toxic: Toxic, values: Record<string, number>): void {
  Object.assign(toxic, values);
}
