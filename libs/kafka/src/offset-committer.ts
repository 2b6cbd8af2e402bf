import type { Logger } from './logger';

export interface PartitionAssignment {
  topic: string;
  partitions: number[];
}

/** Explicit offsets in the shape kafkajs commits them. */
export type CommitOffsets = (offsets: { topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }> }) => Promise<void>;

export interface OffsetCommitterOptions {
  groupId: string;
  /** Longest time handled offsets wait to be committed (the consumer's `commitIntervalMs`). */
  intervalMs: number;
  logger: Logger;
  /** True once the runner is stopping: a failed timed commit is then not tried again. */
  stopping: () => boolean;
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/**
 * The consumer's commits (auto-commit is off). A handled message's offset waits at most
 * `intervalMs` to be committed: the handled offsets of all the group's partitions go in one request
 * per interval, and a stop or a pause commits at once. A crash in between re-delivers them; handlers
 * are idempotent on `eventId`. Every commit is one attempt in the member's current generation, for
 * partitions it holds in that generation: a commit kafkajs retried across a rebalance would land in
 * the new generation for a partition another member now owns, moving its committed offset backwards.
 */
export class OffsetCommitter {
  private assigned: PartitionAssignment[] = [];
  /** Offsets handled and not yet committed, by partition: the next offset to read. */
  private readonly uncommitted = new Map<string, { topic: string; partition: number; offset: string }>();
  private committing: Promise<void> = Promise.resolve();
  private committedAt = performance.now();
  private flushTimer: NodeJS.Timeout | null = null;
  /**
   * Commits explicit offsets once, in kafkajs's current generation (its latest batch's
   * `commitOffsetsIfNecessary`). Not `consumer.commitOffsets`: that retries for up to the
   * consumer's retry budget (~30 s), and an attempt made after a rebalance goes out in the new
   * generation with offsets of partitions that may be another member's now; the coordinator
   * accepts it and that member's progress is set back (measured: a partition left 322 behind
   * for good in the cluster end to end). kafkajs also makes it a silent no-op once `stop()` began.
   */
  private commitOnce: CommitOffsets | null = null;

  constructor(private readonly options: OffsetCommitterOptions) {}

  /** The latest batch's commit: the one in the member's current generation. */
  useCommit(commitOnce: CommitOffsets): void {
    this.commitOnce = commitOnce;
  }

  /** The partitions this member holds after a group join. */
  assignments(): PartitionAssignment[] {
    return this.assigned;
  }

  reassigned(assigned: PartitionAssignment[]): void {
    this.assigned = assigned;
    // Offsets handled for partitions another member has now are that member's to redo; kept,
    // they could later be committed over its progress if the partition came back.
    const kept = this.assignedKeys();
    for (const key of this.uncommitted.keys()) if (!kept.has(key)) this.uncommitted.delete(key);
  }

  /** `offset` is the next one to read: everything before it in the partition is handled. */
  handled(topic: string, partition: number, offset: string): void {
    this.uncommitted.set(partitionKey(topic, partition), { topic, partition, offset });
  }

  /** A partition another member owns now: what it handled here is that member's to redo. */
  forget(topic: string, partition: number): void {
    this.uncommitted.delete(partitionKey(topic, partition));
  }

  /** The consumer crashed: handled here, committed nowhere; whoever holds those partitions now handles them again. */
  forgetAll(): void {
    this.uncommitted.clear();
  }

  due(): boolean {
    return performance.now() - this.committedAt >= this.options.intervalMs;
  }

  /**
   * Commits what is handled and not yet committed of one partition, after any commit under way
   * (so two commits of a partition never pass each other).
   */
  commitPartition(topic: string, partition: number): Promise<void> {
    const key = partitionKey(topic, partition);
    return this.serially(async () => {
      const pending = this.uncommitted.get(key);
      if (!pending) return;
      await this.commitOnce!({ topics: [{ topic, partitions: [{ partition, offset: pending.offset }] }] });
      if (this.uncommitted.get(key) === pending) this.uncommitted.delete(key);
    });
  }

  /** Commits every partition's handled offsets in one request once the interval is up. */
  scheduleFlush(): void {
    if (this.flushTimer) return;
    const wait = Math.max(0, this.options.intervalMs - (performance.now() - this.committedAt));
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      this.flush().catch((err: unknown) => {
        this.options.logger.warn({ groupId: this.options.groupId, err }, 'offset commit failed; trying again');
        if (!this.options.stopping()) this.scheduleFlush();
      });
    }, wait);
  }

  cancelFlush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  /**
   * Commits the handled offsets of every partition still assigned, in one request. The consumer
   * must still be running: the runner's `stop` calls this before stopping it. A failure leaves them
   * pending: the next try sends those the member still holds then.
   */
  flush(): Promise<void> {
    return this.serially(async () => {
      const assigned = this.assignedKeys();
      const pending = [...this.uncommitted.entries()].filter(([key]) => assigned.has(key));
      if (pending.length === 0 || !this.commitOnce) return;
      const topics = new Map<string, Array<{ partition: number; offset: string }>>();
      for (const [, { topic, partition, offset }] of pending) topics.set(topic, [...(topics.get(topic) ?? []), { partition, offset }]);
      await this.commitOnce({ topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })) });
      for (const [key, offset] of pending) if (this.uncommitted.get(key) === offset) this.uncommitted.delete(key);
    });
  }

  private assignedKeys(): Set<string> {
    return new Set(this.assigned.flatMap(({ topic, partitions }) => partitions.map((p) => partitionKey(topic, p))));
  }

  /** Runs commits one after another, and marks when the last one went out. */
  private serially(commit: () => Promise<void>): Promise<void> {
    const next = this.committing.then(commit).finally(() => (this.committedAt = performance.now()));
    this.committing = next.catch(() => undefined);
    return next;
  }
}
