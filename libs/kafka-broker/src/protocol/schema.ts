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

/** How one primitive is read, written and what it is when its field is absent from a version. */
interface PrimitiveCodec {
  read(r: Reader, flexible: boolean): unknown;
  write(w: Writer, value: unknown, flexible: boolean): void;
  absent(): unknown;
}

/** A number or boolean: the same bytes in flexible versions as in the others. */
function fixedWidth<T>(read: (r: Reader) => T, write: (w: Writer, value: T) => void, absent: T): PrimitiveCodec {
  return { read, write: (w, value) => write(w, value as T), absent: () => absent };
}

/** Bytes and records alike: a record set to send may be a list of Buffers, written as one value. */
const bytesCodec: PrimitiveCodec = {
  read: (r, flexible) => (flexible ? r.compactNullableBytes() : r.nullableBytes()),
  write: (w, value, flexible) => {
    if (Array.isArray(value)) w.bytesList(value as Buffer[], flexible);
    else if (flexible) w.compactNullableBytes(value as Buffer | null);
    else w.nullableBytes(value as Buffer | null);
  },
  absent: () => null,
};

const PRIMITIVES: Readonly<Record<Primitive, PrimitiveCodec>> = {
  int8: fixedWidth((r) => r.int8(), (w, v: number) => w.int8(v), 0),
  int16: fixedWidth((r) => r.int16(), (w, v: number) => w.int16(v), 0),
  uint16: fixedWidth((r) => r.uint16(), (w, v: number) => w.uint16(v), 0),
  int32: fixedWidth((r) => r.int32(), (w, v: number) => w.int32(v), 0),
  int64: fixedWidth((r) => r.int64(), (w, v: number) => w.int64(v), 0),
  float64: fixedWidth((r) => r.float64(), (w, v: number) => w.float64(v), 0),
  bool: fixedWidth((r) => r.bool(), (w, v: boolean) => w.bool(v), false),
  uuid: { read: (r) => r.uuid(), write: (w, value) => w.uuid(value as Buffer), absent: () => Buffer.alloc(16) },
  string: {
    read: (r, flexible) => (flexible ? r.compactNullableString() : r.nullableString()),
    write: (w, value, flexible) => {
      if (flexible) w.compactNullableString(value as string | null);
      else w.nullableString(value as string | null);
    },
    absent: () => '',
  },
  bytes: bytesCodec,
  records: bytesCodec,
};

function defaultFor(f: Field): unknown {
  if (f.default !== undefined) return f.default;
  const t = f.type;
  if (typeof t === 'string') return PRIMITIVES[t].absent();
  return 'array' in t ? [] : {};
}

/** A struct that may be null is preceded by one byte, -1 for null and 1 for present, as Kafka writes it. */
function isNullableStruct(f: Field, version: number): boolean {
  return typeof f.type !== 'string' && 'struct' in f.type && inRange(f.nullable, version);
}

function readType(r: Reader, t: FieldType, version: number, flexible: boolean): unknown {
  if (typeof t === 'string') return PRIMITIVES[t].read(r, flexible);
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
    PRIMITIVES[t].write(w, value, flexible);
    return;
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
