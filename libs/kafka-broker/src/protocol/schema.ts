import { ProtocolDecodeError, Reader } from './reader';
import { Writer } from './writer';

/**
 * A small description language for Kafka messages, after the JSON message
 * definitions Kafka generates its own serializers from: each field says in
 * which versions it exists and in which it may be null; a message says from
 * which version on it is "flexible" (compact strings and arrays, tagged fields).
 * One generic reader and writer then handle every API and version, so a field's
 * version bounds are written once instead of in hand-written if-chains.
 */

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

/** '3+', '1-4', '2' or 'none'. */
export function versions(spec: string): VersionRange {
  if (spec === 'none') return { min: 1, max: 0 };
  const plus = /^(\d+)\+$/.exec(spec);
  if (plus) return { min: Number(plus[1]), max: Number.POSITIVE_INFINITY };
  const range = /^(\d+)-(\d+)$/.exec(spec);
  if (range) return { min: Number(range[1]), max: Number(range[2]) };
  if (/^\d+$/.test(spec)) return { min: Number(spec), max: Number(spec) };
  throw new Error(`bad version spec ${spec}`);
}

export function inRange(r: VersionRange, v: number): boolean {
  return v >= r.min && v <= r.max;
}

export type Primitive =
  | 'int8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'int64'
  | 'float64'
  | 'bool'
  | 'string'
  | 'bytes'
  /** Record data: decoded as a Buffer view; encoded from a Buffer or a list of Buffers. */
  | 'records'
  | 'uuid';

export type FieldType = Primitive | { readonly array: FieldType } | { readonly struct: readonly Field[] };

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly versions: VersionRange;
  readonly nullable: VersionRange;
  readonly default: unknown;
}

export interface MessageSchema {
  readonly fields: readonly Field[];
  readonly flexible: VersionRange;
}

export interface FieldOptions {
  nullable?: string;
  default?: unknown;
}

export function field(name: string, type: FieldType, since: string, opts: FieldOptions = {}): Field {
  return {
    name,
    type,
    versions: versions(since),
    nullable: versions(opts.nullable ?? 'none'),
    default: opts.default,
  };
}

export function arrayOf(type: FieldType): FieldType {
  return { array: type };
}

export function struct(...fields: Field[]): FieldType {
  return { struct: fields };
}

export function message(flexibleSince: string, ...fields: Field[]): MessageSchema {
  return { fields, flexible: versions(flexibleSince) };
}

type Values = Record<string, unknown>;

function defaultFor(f: Field): unknown {
  if (f.default !== undefined) return f.default;
  const t = f.type;
  if (typeof t === 'string') {
    switch (t) {
      case 'string':
        return '';
      case 'bytes':
      case 'records':
        return null;
      case 'bool':
        return false;
      case 'uuid':
        return Buffer.alloc(16);
      default:
        return 0;
    }
  }
  return 'array' in t ? [] : {};
}

/** A struct that may be null is preceded by one byte, -1 for null and 1 for present, as Kafka writes it. */
function isNullableStruct(f: Field, version: number): boolean {
  return typeof f.type !== 'string' && 'struct' in f.type && inRange(f.nullable, version);
}

function readType(r: Reader, t: FieldType, version: number, flexible: boolean): unknown {
  if (typeof t === 'string') {
    switch (t) {
      case 'int8':
        return r.int8();
      case 'int16':
        return r.int16();
      case 'uint16':
        return r.uint16();
      case 'int32':
        return r.int32();
      case 'int64':
        return r.int64();
      case 'float64':
        return r.float64();
      case 'bool':
        return r.bool();
      case 'uuid':
        return r.uuid();
      case 'string':
        return flexible ? r.compactNullableString() : r.nullableString();
      case 'bytes':
      case 'records':
        return flexible ? r.compactNullableBytes() : r.nullableBytes();
    }
  }
  if ('array' in t) {
    const len = r.arrayLength(flexible);
    if (len === null) return null;
    const out: unknown[] = new Array(len);
    for (let i = 0; i < len; i++) out[i] = readType(r, t.array, version, flexible);
    return out;
  }
  return readFields(r, t.struct, version, flexible);
}

function readFields(r: Reader, fields: readonly Field[], version: number, flexible: boolean): Values {
  const out: Values = {};
  for (const f of fields) {
    if (!inRange(f.versions, version)) {
      out[f.name] = defaultFor(f);
      continue;
    }
    if (isNullableStruct(f, version) && r.int8() < 0) {
      out[f.name] = null;
      continue;
    }
    const v = readType(r, f.type, version, flexible);
    if (v === null && !inRange(f.nullable, version)) {
      throw new ProtocolDecodeError(`field ${f.name} is null in version ${version}`);
    }
    out[f.name] = v;
  }
  if (flexible) r.skipTaggedFields();
  return out;
}

function writeType(w: Writer, t: FieldType, value: unknown, version: number, flexible: boolean): void {
  if (typeof t === 'string') {
    switch (t) {
      case 'int8':
        w.int8(value as number);
        return;
      case 'int16':
        w.int16(value as number);
        return;
      case 'uint16':
        w.uint16(value as number);
        return;
      case 'int32':
        w.int32(value as number);
        return;
      case 'int64':
        w.int64(value as number);
        return;
      case 'float64':
        w.float64(value as number);
        return;
      case 'bool':
        w.bool(value as boolean);
        return;
      case 'uuid':
        w.uuid(value as Buffer);
        return;
      case 'string':
        if (flexible) w.compactNullableString(value as string | null);
        else w.nullableString(value as string | null);
        return;
      case 'bytes':
      case 'records':
        if (Array.isArray(value)) w.bytesList(value as Buffer[], flexible);
        else if (flexible) w.compactNullableBytes(value as Buffer | null);
        else w.nullableBytes(value as Buffer | null);
        return;
    }
  }
  if ('array' in t) {
    const items = value as unknown[] | null;
    if (items === null) {
      if (flexible) w.uvarint(0);
      else w.int32(-1);
      return;
    }
    if (flexible) w.uvarint(items.length + 1);
    else w.int32(items.length);
    for (const item of items) writeType(w, t.array, item, version, flexible);
    return;
  }
  writeFields(w, t.struct, value as Values, version, flexible);
}

function writeFields(w: Writer, fields: readonly Field[], values: Values, version: number, flexible: boolean): void {
  for (const f of fields) {
    if (!inRange(f.versions, version)) continue;
    const v = values[f.name] === undefined ? defaultFor(f) : values[f.name];
    if (isNullableStruct(f, version)) {
      w.int8(v === null ? -1 : 1);
      if (v === null) continue;
    }
    writeType(w, f.type, v, version, flexible);
  }
  if (flexible) w.emptyTaggedFields();
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return inRange(schema.flexible, version);
}

export function decode<T>(schema: MessageSchema, r: Reader, version: number): T {
  return readFields(r, schema.fields, version, isFlexible(schema, version)) as T;
}

export function encode(schema: MessageSchema, w: Writer, values: object, version: number): void {
  writeFields(w, schema.fields, values as Values, version, isFlexible(schema, version));
}
