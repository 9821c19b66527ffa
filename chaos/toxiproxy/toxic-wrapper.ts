// A toxic as the API sees it: name, type, stream and toxicity around the typed settings
// (Toxiproxy's ToxicWrapper), and how it is read from and written to JSON.
import { BadRequestBodyError, InvalidStreamError, InvalidToxicTypeError } from './api-errors.ts';
import { decodeFloat, decodeInt, decodeString, expectObject, field, type JsonObject } from './go-json.ts';
import type { LinkToxic } from './link.ts';
import { Direction, parseDirection } from './stream.ts';
import { assignAttributes, attributesOf, findToxicClass, type Toxic, type ToxicClass } from './toxics/index.ts';

const DEFAULT_STREAM = 'downstream';
const DEFAULT_TOXICITY = 1.0;
const WRAPPER_GO_TYPE = 'toxics.ToxicWrapper';

export interface ToxicJson {
  attributes: Record<string, number>;
  name: string;
  type: string;
  stream: string;
  toxicity: number;
}

export class ToxicWrapper implements LinkToxic {
  constructor(
    readonly name: string,
    readonly type: string,
    /** As the client spelled it (the direction is parsed case-insensitively). */
    readonly stream: string,
    readonly direction: Direction,
    public toxicity: number,
    readonly toxicClass: ToxicClass,
    public toxic: Toxic,
  ) {}

  /** Field order as Toxiproxy marshals it. */
  toJSON(): ToxicJson {
    return {
      attributes: attributesOf(this.toxic, this.toxicClass),
      name: this.name,
      type: this.type,
      stream: this.stream,
      toxicity: this.toxicity,
    };
  }
}

function expectAttributesObject(attributes: unknown, structName: string): void {
  if (attributes === undefined || attributes === null) return;
  if (typeof attributes !== 'object' || Array.isArray(attributes)) {
    const kind = Array.isArray(attributes) ? 'array' : typeof attributes === 'boolean' ? 'bool' : typeof attributes;
    throw new BadRequestBodyError(
      `json: cannot unmarshal ${kind} into Go struct field ToxicWrapper.attributes of type toxics.${structName}`,
    );
  }
}

/** Fills a fresh toxic of `toxicClass` from `attributes`, starting from `base` (an update keeps omitted values). */
function decodeToxic(toxicClass: ToxicClass, attributes: unknown, base: Toxic | undefined): Toxic {
  const toxic = new toxicClass();
  if (base !== undefined) assignAttributes(toxic, attributesOf(base, toxicClass));
  if (attributes === undefined || attributes === null) return toxic;
  expectAttributesObject(attributes, toxicClass.structName);
  const current = attributesOf(toxic, toxicClass);
  const values: Record<string, number> = {};
  for (const [name, kind] of Object.entries(toxicClass.attributes)) {
    const goField = `${toxicClass.structName}.attributes.${name}`;
    values[name] = decodeInt(attributes as JsonObject, name, current[name] ?? 0, goField, kind);
  }
  assignAttributes(toxic, values);
  return toxic;
}

/** POST /proxies/{proxy}/toxics, checked in Toxiproxy's order: body, stream, type, then attributes. */
export function toxicFromJson(body: unknown, nameTaken: (name: string) => boolean, onTaken: () => Error): ToxicWrapper {
  const object = expectObject(body, WRAPPER_GO_TYPE);
  let name = decodeString(object, 'name', '', 'ToxicWrapper.name');
  const type = decodeString(object, 'type', '', 'ToxicWrapper.type');
  const stream = decodeString(object, 'stream', DEFAULT_STREAM, 'ToxicWrapper.stream');
  const toxicity = decodeFloat(object, 'toxicity', DEFAULT_TOXICITY, 'ToxicWrapper.toxicity');
  expectAttributesObject(field(object, 'attributes'), 'NoopToxic');
  const direction = parseDirection(stream);
  if (direction === undefined) throw new InvalidStreamError();
  if (name === '') name = `${type}_${stream}`;
  const toxicClass = findToxicClass(type);
  if (toxicClass === undefined) throw new InvalidToxicTypeError();
  if (nameTaken(name)) throw onTaken();
  const toxic = decodeToxic(toxicClass, field(object, 'attributes'), undefined);
  return new ToxicWrapper(name, type, stream, direction, toxicity, toxicClass, toxic);
}

/** POST|PATCH /proxies/{proxy}/toxics/{toxic}: only attributes and toxicity can change. */
export function toxicUpdateFromJson(body: unknown, existing: ToxicWrapper): { toxic: Toxic; toxicity: number } {
  const object = expectObject(body, 'struct { Attributes interface {}; Toxicity float32 }');
  const toxic = decodeToxic(existing.toxicClass, field(object, 'attributes'), existing.toxic);
  const toxicity = decodeFloat(object, 'toxicity', existing.toxicity, 'Toxicity');
  return { toxic, toxicity };
}
