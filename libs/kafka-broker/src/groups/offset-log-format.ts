import { crc32c } from '../protocol/crc32c';

/** One committed offset, as OffsetFetch returns it. */
export interface CommittedOffset {
  readonly offset: number;
  /** -1 when the client sent none (Kafka's RecordBatch.NO_PARTITION_LEADER_EPOCH). */
  readonly leaderEpoch: number;
  readonly metadata: string | null;
  readonly commitTimestamp: number;
}

export interface OffsetCommitEntry extends CommittedOffset {
  readonly topic: string;
  readonly partition: number;
}

/**
 * The on-disk format of the offsets log: a sequence of
 *   int32 payload length | uint32 CRC-32C of the payload | payload (UTF-8 JSON)
 * The length and checksum let a reader find where a crash cut the last append
 * short; everything from the first incomplete or mismatching record on is a
 * torn tail and is ignored. Offsets are far below 2^53, so JSON numbers are exact.
 */
export type OffsetLogRecord =
  | { readonly type: 'commit'; readonly group: string; readonly offsets: readonly OffsetCommitEntry[] }
  | { readonly type: 'deleteTopic'; readonly topic: string }
  | { readonly type: 'deleteGroup'; readonly group: string };

const HEADER_BYTES = 8;

export function encodeRecord(record: OffsetLogRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeInt32BE(payload.length, 0);
  out.writeUInt32BE(crc32c(payload), 4);
  payload.copy(out, HEADER_BYTES);
  return out;
}

export interface DecodedLog {
  readonly records: OffsetLogRecord[];
  /** Length of the prefix made of whole, valid records. */
  readonly validBytes: number;
}

export function decodeRecords(buf: Buffer): DecodedLog {
  const records: OffsetLogRecord[] = [];
  let pos = 0;
  while (buf.length - pos >= HEADER_BYTES) {
    const len = buf.readInt32BE(pos);
    if (len < 0 || pos + HEADER_BYTES + len > buf.length) break;
    const payload = buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + len);
    if (crc32c(payload) !== buf.readUInt32BE(pos + 4)) break;
    let record: OffsetLogRecord;
    try {
      record = JSON.parse(payload.toString('utf8')) as OffsetLogRecord;
    } catch {
      break;
    }
    if (!isRecord(record)) break;
    records.push(record);
    pos += HEADER_BYTES + len;
  }
  return { records, validBytes: pos };
}

function isRecord(r: unknown): r is OffsetLogRecord {
  if (typeof r !== 'object' || r === null) return false;
  const t = (r as { type?: unknown }).type;
  if (t === 'commit') return Array.isArray((r as { offsets?: unknown }).offsets);
  return t === 'deleteTopic' || t === 'deleteGroup';
}
