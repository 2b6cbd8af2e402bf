import { gunzipSync } from 'node:zlib';
import { crc32c } from './crc32c';
import { ErrorCode } from './error-codes';
import { Reader } from './reader';

/**
 * Record batch format v2, read only as far as the broker needs: the header.
 * Payloads (compressed or not) are stored and served byte for byte as the
 * producer sent them; the broker rewrites only the base offset and the leader
 * epoch, which lie outside the CRC.
 *
 *   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32
 *  16 magic int8 | 17 crc uint32 | 21 attributes int16 | 23 lastOffsetDelta int32
 *  27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64
 *  51 producerEpoch int16 | 53 baseSequence int32 | 57 recordCount int32 | 61 records
 */
export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
const CRC_START = 21;

export const enum Compression {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export interface BatchHeader {
  /** Position of the batch in the buffer it was parsed from. */
  readonly position: number;
  /** Whole batch size in bytes, header included. */
  readonly size: number;
  readonly baseOffset: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
  readonly crc: number;
}

export class RecordBatchError extends Error {
  override readonly name = 'RecordBatchError';
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export function compressionOf(attributes: number): number {
  return attributes & 0x07;
}

export function isTransactional(attributes: number): boolean {
  return (attributes & 0x10) !== 0;
}

export function isControl(attributes: number): boolean {
  return (attributes & 0x20) !== 0;
}

export function readBatchHeader(buf: Buffer, position: number): BatchHeader {
  const r = new Reader(buf, position);
  const baseOffset = r.int64();
  const batchLength = r.int32();
  r.int32(); // partitionLeaderEpoch
  const magic = r.int8();
  const crc = r.uint32();
  const attributes = r.int16();
  const lastOffsetDelta = r.int32();
  const baseTimestamp = r.int64();
  const maxTimestamp = r.int64();
  const producerId = r.int64();
  const producerEpoch = r.int16();
  const baseSequence = r.int32();
  const recordCount = r.int32();
  if (magic !== 2) {
    throw new RecordBatchError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `record batch magic ${magic}; only v2 is supported`);
  }
  if (batchLength < BATCH_HEADER_SIZE - LOG_OVERHEAD) {
    throw new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, `batch length ${batchLength} is shorter than a batch header`);
  }
  return {
    position,
    size: batchLength + LOG_OVERHEAD,
    baseOffset,
    attributes,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    recordCount,
    crc,
  };
}

export function crcMatches(buf: Buffer, h: BatchHeader): boolean {
  return crc32c(buf, h.position + CRC_START, h.position + h.size) === h.crc;
}

/**
 * Splits a produce request's record set into validated batches. Anything that
 * is not a whole, checksummed v2 batch rejects the set: a partition's data is
 * appended entirely or not at all.
 */
export function parseProducedBatches(buf: Buffer): BatchHeader[] {
  const out: BatchHeader[] = [];
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < BATCH_HEADER_SIZE) {
      throw new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, 'record set ends inside a batch header');
    }
    const h = readBatchHeader(buf, pos);
    if (pos + h.size > buf.length) {
      throw new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, 'record set ends inside a batch');
    }
    if (!crcMatches(buf, h)) {
      throw new RecordBatchError(ErrorCode.CORRUPT_MESSAGE, 'record batch CRC does not match');
    }
    if (h.lastOffsetDelta < 0 || h.recordCount < 0 || h.lastOffsetDelta + 1 < h.recordCount) {
      throw new RecordBatchError(ErrorCode.INVALID_RECORD, 'record batch offset delta and record count disagree');
    }
    if (isControl(h.attributes)) {
      throw new RecordBatchError(ErrorCode.INVALID_RECORD, 'clients may not produce control batches');
    }
    out.push(h);
    pos += h.size;
  }
  if (out.length === 0) throw new RecordBatchError(ErrorCode.INVALID_RECORD, 'empty record set');
  return out;
}

/** Writes the offset the log assigned and this broker's leader epoch (0) into a batch. */
export function stampBatch(buf: Buffer, position: number, baseOffset: number): void {
  buf.writeBigInt64BE(BigInt(baseOffset), position);
  buf.writeInt32BE(0, position + 12);
}

/**
 * Offsets and timestamps of a batch's records, for ListOffsets by timestamp.
 * Uncompressed and gzip batches are opened; for codecs Node cannot decode
 * without native add-ons (snappy, lz4, zstd) the caller falls back to the
 * batch's base offset, which is never later than the exact answer.
 */
export function recordTimestamps(batch: Buffer): Array<{ offset: number; timestamp: number }> | null {
  const h = readBatchHeader(batch, 0);
  let body: Buffer;
  switch (compressionOf(h.attributes)) {
    case Compression.None:
      body = batch.subarray(BATCH_HEADER_SIZE, h.size);
      break;
    case Compression.Gzip:
      body = gunzipSync(batch.subarray(BATCH_HEADER_SIZE, h.size));
      break;
    default:
      return null;
  }
  const logAppendTime = (h.attributes & 0x08) !== 0;
  const r = new Reader(body);
  const out: Array<{ offset: number; timestamp: number }> = [];
  for (let i = 0; i < h.recordCount; i++) {
    const length = r.varint();
    const start = r.offset;
    r.int8();
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    out.push({
      offset: h.baseOffset + offsetDelta,
      timestamp: logAppendTime ? h.maxTimestamp : h.baseTimestamp + timestampDelta,
    });
    r.raw(length - (r.offset - start));
  }
  return out;
}
