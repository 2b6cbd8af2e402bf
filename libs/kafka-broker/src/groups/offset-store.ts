import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../logger';
import { writeFileAtomic } from '../storage/atomic-file';
import { decodeRecords, encodeRecord, type CommittedOffset, type OffsetCommitEntry, type OffsetLogRecord } from './offset-log-format';

export interface OffsetStoreOptions {
  /** Directory holding `offsets.log`; null keeps offsets in memory only. */
  readonly dir: string | null;
  readonly fsync: boolean;
  readonly logger: Logger;
}

type GroupOffsets = Map<string, Map<number, CommittedOffset>>;

interface PendingWrite {
  readonly bytes: Buffer;
  readonly apply: () => void;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export const OFFSETS_FILE = 'offsets.log';

/**
 * Committed consumer-group offsets: Kafka keeps them in the compacted
 * __consumer_offsets topic; we keep an append-only log of commits and
 * deletions and the latest value of each key in memory. A commit becomes
 * visible to OffsetFetch only once it is durable, as Kafka only updates its
 * offset cache from the append callback. Concurrent commits share one write
 * and one fsync (group commit). On open the log is replayed, a torn tail
 * from a crash is dropped, and the live state is rewritten into a fresh file
 * (the equivalent of log compaction) that atomically replaces the old one.
 */
export class OffsetStore {
  private readonly groups = new Map<string, GroupOffsets>();
  private queue: PendingWrite[] = [];
  private flushing: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;
  /** Bytes of the file known to hold whole records; a failed append is cut back to this. */
  private size = 0;

  private constructor(
    private readonly file: fs.promises.FileHandle | null,
    private readonly opts: OffsetStoreOptions,
  ) {}

  static async open(opts: OffsetStoreOptions): Promise<OffsetStore> {
    if (opts.dir === null) return new OffsetStore(null, opts);
    await fs.promises.mkdir(opts.dir, { recursive: true });
    const file = path.join(opts.dir, OFFSETS_FILE);
    let contents: Buffer;
    try {
      contents = await fs.promises.readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      contents = Buffer.alloc(0);
    }
    const { records, validBytes } = decodeRecords(contents);
    if (validBytes < contents.length) {
      opts.logger.warn(
        { file, discardedBytes: contents.length - validBytes, keptRecords: records.length },
        'offsets log has a torn or corrupt tail (crash during a write?); ignoring it',
      );
    }
    const loading = new OffsetStore(null, opts);
    for (const r of records) loading.applyRecord(r);
    const compacted = Buffer.concat(loading.snapshotRecords().map(encodeRecord));
    writeFileAtomic(file, compacted);
    const handle = await fs.promises.open(file, 'a');
    const store = new OffsetStore(handle, opts);
    for (const [g, offsets] of loading.groups) store.groups.set(g, offsets);
    store.size = compacted.length;
    opts.logger.info(
      { file, groups: store.groups.size, replayedRecords: records.length, bytes: compacted.length },
      'offsets loaded',
    );
    return store;
  }

  /** Resolves once the commit is durable (fsynced when `fsync` is set); only then is it visible to fetch. */
  commit(group: string, entries: readonly OffsetCommitEntry[]): Promise<void> {
    if (entries.length === 0) return Promise.resolve();
    const record: OffsetLogRecord = {
      type: 'commit',
      group,
      offsets: entries.map((e) => ({ ...e })),
    };
    return this.append(record);
  }

  fetch(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(group)?.get(topic)?.get(partition);
  }

  /** Every committed offset of a group, for OffsetFetch with null topics. */
  fetchAll(group: string): OffsetCommitEntry[] {
    const out: OffsetCommitEntry[] = [];
    for (const [topic, partitions] of this.groups.get(group) ?? []) {
      for (const [partition, o] of partitions) out.push({ topic, partition, ...o });
    }
    return out;
  }

  hasOffsets(group: string): boolean {
    return this.groups.has(group);
  }

  groupsWithOffsets(): string[] {
    return [...this.groups.keys()];
  }

  /** Drops the topic's offsets in every group, as Kafka does when a topic is deleted. */
  deleteTopic(topic: string): Promise<void> {
    return this.append({ type: 'deleteTopic', topic });
  }

  deleteGroup(group: string): Promise<void> {
    return this.append({ type: 'deleteGroup', group });
  }

  /** Waits for writes already accepted, then closes the file; later calls fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flushing;
    await this.file?.close();
  }

  private append(record: OffsetLogRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('offset store is closed'));
    if (this.failure) return Promise.reject(this.failure);
    const bytes = this.file ? encodeRecord(record) : Buffer.alloc(0);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, apply: () => this.applyRecord(record), resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /**
   * One write and one fsync for everything queued while the previous one ran.
   * Records are applied in log order, after they are durable.
   */
  private async flushLoop(): Promise<void> {
    // Let commits arriving in the same tick join this batch.
    await Promise.resolve();
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        if (this.file) await this.writeDurably(Buffer.concat(batch.map((w) => w.bytes)));
        for (const w of batch) w.apply();
        for (const w of batch) w.resolve();
      } catch (err) {
        for (const w of batch) w.reject(err as Error);
      }
    }
    this.flushing = null;
  }

  private async writeDurably(bytes: Buffer): Promise<void> {
    const file = this.file!;
    try {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await file.write(bytes, written, bytes.length - written);
        written += bytesWritten;
      }
      if (this.opts.fsync) await file.sync();
      this.size += bytes.length;
    } catch (err) {
      this.opts.logger.error({ err: (err as Error).message }, 'offsets log write failed');
      // A partial record followed by good ones would hide the good ones on the
      // next load, so cut the file back; if even that fails, stop accepting
      // commits (Kafka takes a failed log dir offline the same way).
      try {
        await file.truncate(this.size);
      } catch (truncateErr) {
        this.failure = truncateErr as Error;
      }
      throw err;
    }
  }

  private applyRecord(r: OffsetLogRecord): void {
    switch (r.type) {
      case 'commit': {
        let topics = this.groups.get(r.group);
        if (!topics) this.groups.set(r.group, (topics = new Map()));
        for (const e of r.offsets) {
          let partitions = topics.get(e.topic);
          if (!partitions) topics.set(e.topic, (partitions = new Map()));
          partitions.set(e.partition, {
            offset: e.offset,
            leaderEpoch: e.leaderEpoch,
            metadata: e.metadata,
            commitTimestamp: e.commitTimestamp,
          });
        }
        return;
      }
      case 'deleteTopic':
        for (const [group, topics] of this.groups) {
          topics.delete(r.topic);
          if (topics.size === 0) this.groups.delete(group);
        }
        return;
      case 'deleteGroup':
        this.groups.delete(r.group);
        return;
    }
  }

  private snapshotRecords(): OffsetLogRecord[] {
    return [...this.groups.keys()].map((group) => ({ type: 'commit', group, offsets: this.fetchAll(group) }));
  }
}
