import type { Logger } from '../logger';
import { ErrorCode } from '../protocol/error-codes';
import type { Group } from './group';
import type { OffsetCommitEntry } from './offset-log-format';
import type { OffsetStore } from './offset-store';
import type { Rebalancer } from './rebalance';
import type { OffsetFetchResult } from './results';

/** Kafka's offset.metadata.max.bytes default. */
export const OFFSET_METADATA_MAX_SIZE = 4096;

/** An offset as a client commits it; the coordinator stamps the commit time. */
export type PartitionOffset = Omit<OffsetCommitEntry, 'commitTimestamp'>;

export interface OffsetCommitRequest {
  readonly groupId: string;
  readonly memberId: string;
  /** -1 for a commit from outside group management (a "simple" consumer or an admin tool). */
  readonly generationId: number;
  readonly groupInstanceId: string | null;
  readonly offsets: readonly PartitionOffset[];
}

/**
 * Offset commit and fetch on behalf of the coordinator: Kafka's
 * validateOffsetCommit / doCommitOffsets / getOffsets. Commits are answered
 * only once durable.
 */
export class OffsetCommitter {
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: OffsetStore,
    private readonly rebalancer: Rebalancer,
    private readonly logger: Logger,
  ) {}

  /** One error code per entry of `req.offsets`, in order. */
  async commit(group: Group, req: OffsetCommitRequest): Promise<number[]> {
    const all = (code: number): number[] => req.offsets.map(() => code);
    const validation = this.validate(group, req);
    if (validation !== ErrorCode.NONE) return all(validation);
    if (group.is('CompletingRebalance')) {
      // The member has its new generation but not its assignment yet; it must
      // finish SyncGroup before committing for that generation.
      return all(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    if (group.is('Stable') || group.is('PreparingRebalance')) {
      // Commits during PreparingRebalance are allowed; the next heartbeat tells the
      // member to rejoin. A commit also proves the member is alive.
      const member = group.members.get(req.memberId);
      if (member) this.rebalancer.heartbeat(group, member);
    }
    const codes = req.offsets.map((o) =>
      o.metadata !== null && o.metadata.length > OFFSET_METADATA_MAX_SIZE ? ErrorCode.OFFSET_METADATA_TOO_LARGE : ErrorCode.NONE,
    );
    const now = Date.now();
    const entries = req.offsets
      .filter((_, i) => codes[i] === ErrorCode.NONE)
      // Kafka stores a null metadata as "" (OffsetAndMetadata.NoMetadata).
      .map((o) => ({ ...o, metadata: o.metadata ?? '', commitTimestamp: now }));
    const write = this.store.commit(req.groupId, entries);
    this.inFlight.add(write);
    try {
      await write;
      return codes;
    } catch (err) {
      this.logger.error({ group: req.groupId, err: (err as Error).message }, 'offset commit failed to persist');
      // Kafka answers NOT_COORDINATOR when the offsets partition's log dir fails;
      // clients look the coordinator up again and retry.
      return codes.map((c) => (c === ErrorCode.NONE ? ErrorCode.NOT_COORDINATOR : c));
    } finally {
      this.inFlight.delete(write);
    }
  }

  fetch(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null): OffsetFetchResult {
    const requested =
      topics ??
      groupByTopic(this.store.fetchAll(groupId).map((e) => ({ topic: e.topic, partition: e.partition })));
    return {
      errorCode: ErrorCode.NONE,
      topics: requested.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => {
          const c = this.store.fetch(groupId, t.name, partitionIndex);
          return {
            partitionIndex,
            committedOffset: c?.offset ?? -1,
            committedLeaderEpoch: c?.leaderEpoch ?? -1,
            metadata: c ? c.metadata : '',
            errorCode: ErrorCode.NONE,
          };
        }),
      })),
    };
  }

  /** Resolves once every commit under way has been answered. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Kafka's validateOffsetCommit: generation -1 may commit to an Empty group
   * (simple consumers, admin tools); otherwise the member and generation must
   * be current; an anonymous commit to a group with members is refused.
   */
  private validate(group: Group, req: OffsetCommitRequest): number {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (req.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (req.generationId >= 0 || req.memberId !== '' || req.groupInstanceId !== null) {
      if (!group.has(req.memberId)) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      return ErrorCode.NONE;
    }
    if (!group.is('Empty')) return ErrorCode.UNKNOWN_MEMBER_ID;
    return ErrorCode.NONE;
  }
}

function groupByTopic(entries: ReadonlyArray<{ topic: string; partition: number }>): Array<{ name: string; partitionIndexes: number[] }> {
  const byTopic = new Map<string, number[]>();
  for (const e of entries) {
    const list = byTopic.get(e.topic) ?? [];
    list.push(e.partition);
    byTopic.set(e.topic, list);
  }
  return [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes: partitionIndexes.sort((a, b) => a - b) }));
}
