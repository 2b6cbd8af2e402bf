import * as fs from 'node:fs';
import { recordTimestamps, stampBatch, type BatchHeader } from '../protocol/record-batch';
import type { Logger } from '../logger';
import { LogSegment } from './log-segment';
import { ProducerStateTable } from './producer-state';
import { SyncBatcher } from './sync-batcher';

export interface LogConfig {
  /** A new segment starts once the active one would pass this size (Kafka's segment.bytes). */
  readonly segmentBytes: number;
  /** Closed segments whose newest record is older than this are deleted; -1 keeps forever. */
  readonly retentionMs: number;
  /** Oldest closed segments are deleted while the log is larger than this; -1 for no limit. */
  readonly retentionBytes: number;
}

export type AppendResult =
  | { readonly ok: true; readonly baseOffset: number; readonly appended: number }
  | { readonly ok: false; readonly errorCode: number; readonly message: string };

export class OffsetOutOfRangeError extends Error {
  override readonly name = 'OffsetOutOfRangeError';
}

/**
 * One partition's log: segments of record batches, offsets assigned on append,
 * and the high watermark. On a single node every appended batch is committed,
 * so the high watermark is the log end offset.
 */
export class PartitionLog {
  readonly producers = new ProducerStateTable();
  private segments: LogSegment[] = [];
  private readonly syncer: SyncBatcher;
  /** Called after every append; long-polling fetches listen here. */
  onAppend: (() => void) | null = null;

  private constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly dir: string | null,
    private config: LogConfig,
  ) {
    this.syncer = new SyncBatcher(() => this.active.store.sync());
  }

  /**
   * Opens (or creates) the log in `dir`; null keeps it in memory. Every segment
   * is scanned to rebuild the index and producer state; after an unclean
   * shutdown each batch's CRC is checked too and the log is cut at the first
   * bad one, dropping any later segments.
   */
  static open(topic: string, partition: number, dir: string | null, config: LogConfig, opts: { verifyCrc: boolean; logger: Logger }): PartitionLog {
    const log = new PartitionLog(topic, partition, dir, config);
    if (dir === null) {
      log.segments.push(LogSegment.inMemory(0));
      return log;
    }
    fs.mkdirSync(dir, { recursive: true });
    const files = LogSegment.listFiles(dir);
    let cut = false;
    for (const { file, baseOffset } of files) {
      const expected = log.segments.length ? log.active.nextOffset : baseOffset;
      if (cut || baseOffset !== expected) {
        fs.rmSync(file, { force: true });
        cut = true;
        continue;
      }
      const { segment, result } = LogSegment.recover(file, baseOffset, opts.verifyCrc, (h) => log.producers.record(h, h.baseOffset));
      log.segments.push(segment);
      if (result.truncated) {
        cut = true;
        opts.logger.warn({ topic, partition, segment: baseOffset, droppedBytes: result.droppedBytes }, 'recovered log: cut torn or corrupt tail');
      }
    }
    if (log.segments.length === 0) log.segments.push(LogSegment.create(dir, 0));
    return log;
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  get logStartOffset(): number {
    return this.segments[0]!.baseOffset;
  }

  /** Next offset to be assigned; also the high watermark and last stable offset. */
  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  get sizeBytes(): number {
    return this.segments.reduce((n, s) => n + s.size, 0);
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
  }

  /**
   * Appends a produced record set after its batches were validated. Offsets
   * are written into the batch headers in place; payloads are stored as sent.
   * Idempotent producers' retries are answered with their original offset.
   */
  append(records: Buffer, batches: readonly BatchHeader[]): AppendResult {
    const fresh: BatchHeader[] = [];
    let duplicateOffset: number | null = null;
    for (const h of batches) {
      const check = this.producers.check(h);
      if (check.kind === 'error') return { ok: false, errorCode: check.errorCode, message: check.message };
      if (check.kind === 'duplicate') duplicateOffset ??= check.baseOffset;
      else fresh.push(h);
    }
    if (fresh.length === 0) return { ok: true, baseOffset: duplicateOffset!, appended: 0 };

    const total = fresh.reduce((n, h) => n + h.size, 0);
    if (this.dir !== null && !this.active.isEmpty && this.active.size + total > this.config.segmentBytes) {
      this.segments.push(LogSegment.create(this.dir, this.logEndOffset));
    }
    const base = this.logEndOffset;
    let nextOffset = base;
    let position = 0;
    let recordCount = 0;
    const placed = fresh.map((h) => {
      stampBatch(records, h.position, nextOffset);
      const entry = { position, size: h.size, baseOffset: nextOffset, lastOffset: nextOffset + h.lastOffsetDelta, maxTimestamp: h.maxTimestamp };
      nextOffset = entry.lastOffset + 1;
      position += h.size;
      recordCount += h.recordCount;
      return entry;
    });
    const data = fresh.length === batches.length ? records : Buffer.concat(fresh.map((h) => records.subarray(h.position, h.position + h.size)));
    this.active.append(data, placed);
    fresh.forEach((h, i) => this.producers.record(h, placed[i]!.baseOffset));
    this.onAppend?.();
    return { ok: true, baseOffset: base, appended: recordCount };
  }

  /** Resolves once everything appended so far is on stable storage. */
  sync(): Promise<void> {
    return this.syncer.request();
  }

  /**
   * Record batches from the one holding `offset`, up to `maxBytes` (at least
   * one whole batch). Empty at the log end; OffsetOutOfRangeError outside the log.
   */
  read(offset: number, maxBytes: number): Buffer | null {
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new OffsetOutOfRangeError(`offset ${offset} is outside [${this.logStartOffset}, ${this.logEndOffset}]`);
    }
    if (offset === this.logEndOffset) return null;
    for (const segment of this.segments) {
      if (offset < segment.nextOffset) return segment.read(offset, maxBytes);
    }
    return null;
  }

  /** Earliest offset whose record timestamp is at or after `ts`, as ListOffsets by time answers. */
  offsetForTimestamp(ts: number): { offset: number; timestamp: number } | null {
    for (const segment of this.segments) {
      const i = segment.index.findTimestamp(ts);
      if (i >= segment.index.count) continue;
      const batch = segment.batchAt(i);
      const records = recordTimestamps(batch);
      if (records === null) return { offset: segment.index.baseOffset(i), timestamp: segment.index.maxTimestamp(i) };
      const hit = records.find((r) => r.timestamp >= ts && r.offset >= this.logStartOffset);
      if (hit) return hit;
    }
    return null;
  }

  /** Newest record timestamp and its offset (ListOffsets MAX_TIMESTAMP). */
  maxTimestamp(): { offset: number; timestamp: number } | null {
    let best: { offset: number; timestamp: number } | null = null;
    for (const segment of this.segments) {
      for (let i = 0; i < segment.index.count; i++) {
        const ts = segment.index.maxTimestamp(i);
        if (!best || ts > best.timestamp) best = { offset: segment.index.lastOffset(i), timestamp: ts };
      }
    }
    return best;
  }

  /** Deletes closed segments past retention; the active segment always stays. Returns segments deleted. */
  enforceRetention(now: number): number {
    let deleted = 0;
    const { retentionMs, retentionBytes } = this.config;
    while (this.segments.length > 1) {
      const oldest = this.segments[0]!;
      const expired = retentionMs >= 0 && oldest.maxTimestamp >= 0 && oldest.maxTimestamp < now - retentionMs;
      const oversize = retentionBytes >= 0 && this.sizeBytes - oldest.size >= retentionBytes;
      if (!expired && !oversize) break;
      oldest.store.remove();
      this.segments.shift();
      deleted++;
    }
    return deleted;
  }

  close(): void {
    for (const s of this.segments) s.store.close();
  }

  remove(): void {
    this.close();
    if (this.dir !== null) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
