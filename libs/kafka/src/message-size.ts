import type { OutgoingMessage } from './message';

/**
 * Kafka's default max.message.bytes for a topic (and message.max.bytes for a broker): the largest
 * record batch a partition accepts, 1 MiB plus the 12-byte log overhead (offset and length).
 */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * Default bound on a key. Keys are partition keys (order IDs, at most 400 characters in the event
 * catalog); kafkajs hashes every key again on each of its retries of a request, so an unbounded
 * key costs CPU on every attempt (a 200,000-character key froze the ingress, issue 21).
 */
export const DEFAULT_MAX_KEY_BYTES = 1_024;

/**
 * A record batch's fixed part in format v2 (magic 2): base offset 8, length 4, leader epoch 4,
 * magic 1, CRC 4, attributes 2, last offset delta 4, first and max timestamps 8 + 8, producer ID
 * 8, epoch 2, base sequence 4, record count 4.
 */
const BATCH_OVERHEAD = 61;

/**
 * A record's framing at its largest: its length (varint, ≤ 5), attributes (1), timestamp delta
 * (varlong, ≤ 10), offset delta (≤ 5), key and value lengths (≤ 5 each), header count (≤ 5).
 * Each header adds its key and value lengths (≤ 5 each).
 */
const RECORD_OVERHEAD = 36;
const HEADER_OVERHEAD = 10;

function bytesOf(v: string | Buffer | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** Payload bytes: key, value, header names and values. */
export function payloadBytes(m: OutgoingMessage): number {
  let bytes = bytesOf(m.value) + bytesOf(m.key);
  for (const [k, v] of Object.entries(m.headers ?? {})) bytes += Buffer.byteLength(k) + bytesOf(v);
  return bytes;
}

/**
 * An upper bound of the bytes `m` takes as a record batch of its own, uncompressed: what a
 * topic's max.message.bytes is compared with when the message travels alone. Every varint is
 * counted at its widest, so the estimate is at most ~40 bytes plus 10 per header over the truth
 * and never under it: a message this check passes is never refused as too large by a broker
 * with the same limit. (Compression could only make the real batch smaller; we do not compress.)
 */
export function recordBatchBytes(m: OutgoingMessage): number {
  return BATCH_OVERHEAD + RECORD_OVERHEAD + HEADER_OVERHEAD * Object.keys(m.headers ?? {}).length + payloadBytes(m);
}

/** The key's bytes, as the partitioner hashes them. */
export function keyBytes(m: OutgoingMessage): number {
  return bytesOf(m.key);
}
