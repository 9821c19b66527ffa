// Decoding request bodies with the rules of Go's encoding/json, which Toxiproxy relies on:
// unknown keys are ignored, keys match case-insensitively, null leaves a field as it was, and a value
// of the wrong type is a "bad request body" naming the Go field and type.
import { BadRequestBodyError } from './api-errors.ts';

export type JsonObject = Record<string, unknown>;

export function parseBody(text: string): unknown {
  if (text.trim() === '') throw new BadRequestBodyError('EOF');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new BadRequestBodyError(/end of (JSON )?input/i.test(detail) ? 'unexpected EOF' : `invalid character: ${detail}`);
  }
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

function mismatch(value: unknown, field: string, goType: string): BadRequestBodyError {
  return new BadRequestBodyError(`json: cannot unmarshal ${jsonKind(value)} into Go struct field ${field} of type ${goType}`);
}

export function expectObject(value: unknown, goType: string): JsonObject {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new BadRequestBodyError(`json: cannot unmarshal ${jsonKind(value)} into Go value of type ${goType}`);
  }
  return value as JsonObject;
}

export function expectArray(value: unknown, goType: string): unknown[] {
  if (value === null) return [];
  if (!Array.isArray(value)) {
    throw new BadRequestBodyError(`json: cannot unmarshal ${jsonKind(value)} into Go value of type ${goType}`);
  }
  return value;
}

/** The value under `key`, preferring an exact match but accepting any letter case, as Go does. */
export function field(object: JsonObject, key: string): unknown {
  if (Object.hasOwn(object, key)) return object[key];
  const lower = key.toLowerCase();
  for (const candidate of Object.keys(object)) if (candidate.toLowerCase() === lower) return object[candidate];
  return undefined;
}

/** `goField` is how Go names the field in errors, e.g. "Proxy.listen". */
export function decodeString(object: JsonObject, key: string, current: string, goField: string): string {
  const value = field(object, key);
  if (value === undefined || value === null) return current;
  if (typeof value !== 'string') throw mismatch(value, goField, 'string');
  return value;
}

export function decodeBool(object: JsonObject, key: string, current: boolean, goField: string): boolean {
  const value = field(object, key);
  if (value === undefined || value === null) return current;
  if (typeof value !== 'boolean') throw mismatch(value, goField, 'bool');
  return value;
}

export function decodeFloat(object: JsonObject, key: string, current: number, goField: string): number {
  const value = field(object, key);
  if (value === undefined || value === null) return current;
  if (typeof value !== 'number') throw mismatch(value, goField, 'float32');
  return value;
}

export function decodeInt(object: JsonObject, key: string, current: number, goField: string, goType: string): number {
  const value = field(object, key);
  if (value === undefined || value === null) return current;
  if (typeof value !== 'number') throw mismatch(value, goField, goType);
  if (!Number.isSafeInteger(value)) {
    throw new BadRequestBodyError(`json: cannot unmarshal number ${value} into Go struct field ${goField} of type ${goType}`);
  }
  return value;
}
