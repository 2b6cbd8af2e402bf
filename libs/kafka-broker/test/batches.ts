import { gzipSync } from 'node:zlib';
import { crc32c } from '../src/protocol/crc32c';

/** Builds record batch v2 bytes the way a producer does, for storage and protocol unit tests. */
export interface BatchSpec {
  values: string[];
  baseTimestamp?: number;
  /** Per-record timestamp deltas; default 0 for all. */
  timestampDeltas?: number[];
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  gzip?: boolean;
}

function zigzagVarint(n: number): number[] {
  let v = BigInt(n);
  v = v >= 0n ? v << 1n : (-v << 1n) - 1n;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

function record(offsetDelta: number, timestampDelta: number, value: string): Buffer {
  const v = Buffer.from(value);
  const body = Buffer.from([
    0, // attributes
    ...zigzagVarint(timestampDelta),
    ...zigzagVarint(offsetDelta),
    ...zigzagVarint(-1), // null key
    ...zigzagVarint(v.length),
    ...v,
    ...zigzagVarint(0), // no headers
  ]);
  return Buffer.concat([Buffer.from(zigzagVarint(body.length)), body]);
}

export function buildBatch(spec: BatchSpec): Buffer {
  const base = spec.baseTimestamp ?? Date.now();
  const deltas = spec.timestampDeltas ?? spec.values.map(() => 0);
  let records = Buffer.concat(spec.values.map((v, i) => record(i, deltas[i]!, v)));
  if (spec.gzip) records = gzipSync(records);
  const header = Buffer.alloc(61);
  header.writeBigInt64BE(0n, 0);
  header.writeInt32BE(61 - 12 + records.length, 8);
  header.writeInt32BE(-1, 12);
  header.writeInt8(2, 16);
  header.writeInt16BE(spec.gzip ? 1 : 0, 21);
  header.writeInt32BE(spec.values.length - 1, 23);
  header.writeBigInt64BE(BigInt(base), 27);
  header.writeBigInt64BE(BigInt(base + Math.max(...deltas)), 35);
  header.writeBigInt64BE(BigInt(spec.producerId ?? -1), 43);
  header.writeInt16BE(spec.producerEpoch ?? -1, 51);
  header.writeInt32BE(spec.baseSequence ?? -1, 53);
  header.writeInt32BE(spec.values.length, 57);
  const batch = Buffer.concat([header, records]);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}
