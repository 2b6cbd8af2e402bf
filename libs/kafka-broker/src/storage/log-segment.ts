import * as fs from 'node:fs';
import * as path from 'node:path';
import { BATCH_HEADER_SIZE, crcMatches, readBatchHeader, type BatchHeader } from '../protocol/record-batch';
import { BatchIndex } from './batch-index';
import { FileSegmentStore, MemorySegmentStore, type SegmentStore } from './segment';

const RECOVERY_CHUNK = 4 * 1024 * 1024;

export function segmentFileName(baseOffset: number): string {
  return `${String(baseOffset).padStart(20, '0')}.log`;
}

export interface RecoveryResult {
  /** True when the file ended in a torn or corrupt batch that was cut off. */
  readonly truncated: boolean;
  readonly droppedBytes: number;
}

/**
 * One segment of a partition log: a file (or memory buffer) of contiguous
 * record batches starting at `baseOffset`, plus its in-memory batch index.
 */
export class LogSegment {
  readonly index = new BatchIndex();
  private next: number;

  private constructor(
    readonly baseOffset: number,
    readonly store: SegmentStore,
  ) {
    this.next = baseOffset;
  }

  static inMemory(baseOffset: number): LogSegment {
    return new LogSegment(baseOffset, new MemorySegmentStore());
  }

  static create(dir: string, baseOffset: number): LogSegment {
    return new LogSegment(baseOffset, new FileSegmentStore(path.join(dir, segmentFileName(baseOffset))));
  }

  /**
   * Opens an existing segment file and rebuilds its index. Batches must be
   * whole, continuous in offset and (when `verifyCrc`) checksummed; the file is
   * cut at the first one that is not, which after a kill -9 or power loss is a
   * batch that was being written and never acknowledged as durable.
   */
  static recover(
    file: string,
    baseOffset: number,
    verifyCrc: boolean,
    onBatch: (h: BatchHeader) => void,
  ): { segment: LogSegment; result: RecoveryResult } {
    const segment = new LogSegment(baseOffset, new FileSegmentStore(file));
    const size = segment.store.size;
    let pos = 0;
    let want = RECOVERY_CHUNK;
    scan: while (pos < size) {
      if (size - pos < BATCH_HEADER_SIZE) break; // torn header
      const chunk = segment.store.read(pos, Math.min(want, size - pos));
      want = RECOVERY_CHUNK;
      let at = 0;
      while (chunk.length - at >= BATCH_HEADER_SIZE) {
        let h: BatchHeader;
        try {
          h = readBatchHeader(chunk, at);
        } catch {
          pos += at;
          break scan;
        }
        if (pos + at + h.size > size) {
          pos += at;
          break scan; // torn batch
        }
        if (at + h.size > chunk.length) {
          if (at === 0) want = h.size; // one batch larger than a chunk
          break;
        }
        if (h.baseOffset !== segment.next || (verifyCrc && !crcMatches(chunk, h))) {
          pos += at;
          break scan;
        }
        segment.index.add(h.baseOffset, h.baseOffset + h.lastOffsetDelta, pos + at, h.size, h.maxTimestamp);
        segment.next = h.baseOffset + h.lastOffsetDelta + 1;
        onBatch(h);
        at += h.size;
      }
      pos += at;
    }
    const droppedBytes = size - pos;
    if (droppedBytes > 0) segment.store.truncate(pos);
    return { segment, result: { truncated: droppedBytes > 0, droppedBytes } };
  }

  get nextOffset(): number {
    return this.next;
  }

  get size(): number {
    return this.store.size;
  }

  get isEmpty(): boolean {
    return this.index.count === 0;
  }

  get maxTimestamp(): number {
    let max = -1;
    for (let i = 0; i < this.index.count; i++) max = Math.max(max, this.index.maxTimestamp(i));
    return max;
  }

  /** Appends batches already stamped with their offsets, `lastOffsets[i]` being batch i's last offset. */
  append(data: Buffer, batches: ReadonlyArray<{ position: number; size: number; baseOffset: number; lastOffset: number; maxTimestamp: number }>): void {
    const start = this.store.size;
    this.store.append(data);
    for (const b of batches) {
      this.index.add(b.baseOffset, b.lastOffset, start + b.position, b.size, b.maxTimestamp);
      this.next = b.lastOffset + 1;
    }
  }

  /**
   * Whole batches from the one holding `offset`, at most `maxBytes` of them
   * except that the first batch is always returned whole (KIP-74), so a batch
   * larger than the fetch size never stalls a consumer.
   */
  read(offset: number, maxBytes: number): Buffer | null {
    const i = this.index.findOffset(offset);
    if (i >= this.index.count) return null;
    const start = this.index.position(i);
    let end = start + this.index.size(i);
    for (let j = i + 1; j < this.index.count; j++) {
      const next = this.index.position(j) + this.index.size(j);
      if (next - start > maxBytes) break;
      end = next;
    }
    return this.store.read(start, end - start);
  }

  batchAt(i: number): Buffer {
    return this.store.read(this.index.position(i), this.index.size(i));
  }

  static listFiles(dir: string): Array<{ file: string; baseOffset: number }> {
    return fs
      .readdirSync(dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => ({ file: path.join(dir, f), baseOffset: Number(f.slice(0, 20)) }))
      .sort((a, b) => a.baseOffset - b.baseOffset);
  }
}
