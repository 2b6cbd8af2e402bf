import { ErrorCode } from '../protocol/error-codes';
import type { BatchHeader } from '../protocol/record-batch';

/** Kafka keeps the last five batches of each producer: a client has at most five in flight. */
const RETAINED_BATCHES = 5;
const MAX_SEQUENCE = 2 ** 31 - 1;

interface RetainedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: RetainedBatch[];
}

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'error'; errorCode: number; message: string };

function lastSequenceOf(h: BatchHeader): number {
  const last = h.baseSequence + h.lastOffsetDelta;
  return last > MAX_SEQUENCE ? last - MAX_SEQUENCE - 1 : last;
}

function nextSequence(seq: number): number {
  return seq === MAX_SEQUENCE ? 0 : seq + 1;
}

/**
 * Idempotent-producer bookkeeping for one partition. A retried batch whose
 * sequence range matches one of the producer's last five is acknowledged with
 * its original offset instead of being appended again; a gap is
 * OUT_OF_ORDER_SEQUENCE_NUMBER and an older epoch INVALID_PRODUCER_EPOCH, as in
 * Kafka. The table is rebuilt from batch headers when a log is recovered, so it
 * survives restarts without a file of its own.
 */
export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  check(h: BatchHeader): SequenceCheck {
    if (h.producerId < 0 || h.baseSequence < 0) return { kind: 'append' };
    const entry = this.producers.get(h.producerId);
    if (!entry) return { kind: 'append' };
    if (h.producerEpoch < entry.epoch) {
      return {
        kind: 'error',
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        message: `producer ${h.producerId} epoch ${h.producerEpoch} is older than ${entry.epoch}`,
      };
    }
    if (h.producerEpoch > entry.epoch) {
      return h.baseSequence === 0
        ? { kind: 'append' }
        : {
            kind: 'error',
            errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
            message: `new epoch ${h.producerEpoch} of producer ${h.producerId} starts at sequence ${h.baseSequence}`,
          };
    }
    const last = lastSequenceOf(h);
    const dup = entry.batches.find((b) => b.firstSeq === h.baseSequence && b.lastSeq === last);
    if (dup) return { kind: 'duplicate', baseOffset: dup.baseOffset };
    const newest = entry.batches[entry.batches.length - 1];
    const expected = newest ? nextSequence(newest.lastSeq) : h.baseSequence;
    if (h.baseSequence !== expected) {
      return {
        kind: 'error',
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        message: `producer ${h.producerId} sent sequence ${h.baseSequence}, expected ${expected}`,
      };
    }
    return { kind: 'append' };
  }

  /** Records an appended batch (or one found while recovering the log). */
  record(h: BatchHeader, baseOffset: number): void {
    if (h.producerId < 0 || h.baseSequence < 0) return;
    let entry = this.producers.get(h.producerId);
    if (!entry || h.producerEpoch > entry.epoch) {
      entry = { epoch: h.producerEpoch, batches: [] };
      this.producers.set(h.producerId, entry);
    }
    entry.batches.push({ firstSeq: h.baseSequence, lastSeq: lastSequenceOf(h), baseOffset });
    if (entry.batches.length > RETAINED_BATCHES) entry.batches.shift();
  }

  maxProducerId(): number {
    let max = -1;
    for (const id of this.producers.keys()) max = Math.max(max, id);
    return max;
  }
}
