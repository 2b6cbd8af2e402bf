import type { AnyApi } from '../src/apis/api';
import type { Field, FieldType } from '../src/protocol/schema';
import { buildBatch } from './batches';
import { encodeBody, requestFrame } from './raw-client';

/** Deterministic PRNG (mulberry32), so a failing fuzz round fails the same way on every run. */
export function prng(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sizePrefix(size: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(size);
  return b;
}

/**
 * APIs whose answer may legitimately wait as long as the request asks (a long
 * poll, a rebalance). Flipped bytes could ask for days, which is no hang, so
 * these get random values with short timeouts but no byte damage.
 */
const MAY_PARK = new Set(['Fetch', 'JoinGroup', 'SyncGroup']);

const EDGE_INTS = [0, 1, -1, 2, 7, 0x7fff, -0x8000, 0x7fffffff, -0x80000000];

/**
 * Builds random requests of four kinds: a bad size prefix; an unknown API or
 * version; a well-formed request whose values are random (reaching the
 * handlers, where most bugs hide); and such a request with bytes flipped, cut
 * off or appended (reaching the decoder's edge cases).
 */
export class RequestFuzzer {
  constructor(
    private readonly random: () => number,
    private readonly apis: readonly AnyApi[],
    private readonly maxRequestBytes: number,
    /** Names that exist on the broker, so some requests reach real partitions and groups. */
    private readonly names: readonly string[],
  ) {}

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  private bytes(n: number): Buffer {
    return Buffer.from(Array.from({ length: n }, () => this.int(256)));
  }

  /** One to three requests to send on one connection. */
  round(): Buffer[] {
    return Array.from({ length: 1 + this.int(3) }, () => this.next());
  }

  next(): Buffer {
    const kind = this.int(8);
    if (kind === 0) {
      const bad = this.pick([-1 - this.int(1 << 30), this.int(8), this.maxRequestBytes + 1 + this.int(1 << 30)]);
      return Buffer.concat([sizePrefix(bad), this.bytes(this.int(64))]);
    }
    const api = this.pick(this.apis);
    const version = api.minVersion + this.int(api.maxVersion - api.minVersion + 1);
    if (kind === 1) {
      return this.random() < 0.5
        ? requestFrame(this.int(0x10000) - 0x8000, version, 1, this.bytes(this.int(64)))
        : requestFrame(api.key, this.pick([api.maxVersion + 1 + this.int(100), api.minVersion - 1 - this.int(100)]), 1, this.bytes(this.int(64)));
    }
    let body = encodeBody(api.request, this.struct(api.request.fields, version), version);
    if (kind >= 6 && !MAY_PARK.has(api.name)) {
      body = Buffer.from(body);
      for (let i = 1 + this.int(3); i > 0 && body.length > 0; i--) body[this.int(body.length)] = this.int(256);
      body = this.random() < 0.5 ? body.subarray(0, this.int(body.length + 1)) : Buffer.concat([body, this.bytes(this.int(16))]);
    }
    return requestFrame(api.key, version, this.int(0x7fffffff), body);
  }

  private struct(fields: readonly Field[], version: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const f of fields) {
      const nullable = version >= f.nullable.min && version <= f.nullable.max;
      out[f.name] = nullable && this.random() < 0.1 ? null : this.value(f, f.type, version);
    }
    return out;
  }

  private value(f: Field, type: FieldType, version: number): unknown {
    if (typeof type !== 'string') {
      if ('array' in type) return Array.from({ length: this.int(3) }, () => this.value(f, type.array, version));
      return this.struct(type.struct, version);
    }
    // Timeouts stay short: a legitimately parked request (a long poll, a rebalance) is not a hang.
    if (/(ms|timeout)$/i.test(f.name) && type === 'int32') return this.int(200);
    switch (type) {
      case 'int8':
        return this.int(256) - 128;
      case 'int16':
        return this.random() < 0.5 ? this.pick([0, 1, -1, 0x7fff, -0x8000]) : this.int(0x10000) - 0x8000;
      case 'uint16':
        return this.int(0x10000);
      case 'int32':
        return this.random() < 0.6 ? this.pick(EDGE_INTS) : this.int(2 ** 32) - 2 ** 31;
      case 'int64':
        return this.pick([0, 1, -1, -2, 2 ** 53 - 1, -(2 ** 53) + 1, this.int(1000)]);
      case 'float64':
        return this.random() * 1e6;
      case 'bool':
        return this.random() < 0.5;
      case 'uuid':
        return this.bytes(16);
      case 'string':
        return this.random() < 0.6 ? this.pick(this.names) : this.pick(['', 'a', '..', 'x/y', this.bytes(8).toString('hex')]);
      case 'bytes':
      case 'records':
        return this.random() < 0.5 ? buildBatch({ values: ['fuzz'], producerId: this.pick([-1, 0, 1]), baseSequence: this.pick([-1, 0, 5]) }) : this.bytes(this.int(80));
    }
  }
}
