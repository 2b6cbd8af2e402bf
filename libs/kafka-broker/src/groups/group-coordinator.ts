import type { BrokerSettings } from '../broker-context';
import type { Logger } from '../logger';
import type { BrokerMetrics } from '../metrics';
import { ErrorCode } from '../protocol/error-codes';
import { Group } from './group';
import { joinCurrentMember, joinNewMember, type JoinRequest } from './join';
import { OffsetCommitter, type OffsetCommitRequest } from './offset-committer';
import type { OffsetStore } from './offset-store';
import { Rebalancer } from './rebalance';
import {
  joinError,
  syncError,
  type GroupDescription,
  type GroupListing,
  type JoinResult,
  type LeaveResult,
  type OffsetFetchResult,
  type SyncResult,
} from './results';

export type { JoinRequest } from './join';

export interface GroupCoordinatorOptions {
  readonly offsets: OffsetStore;
  readonly settings: BrokerSettings;
  readonly metrics: BrokerMetrics;
  readonly logger: Logger;
}

export interface SyncRequest {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly assignments: ReadonlyArray<{ memberId: string; assignment: Buffer }>;
}

/**
 * The classic consumer-group coordinator (Kafka's GroupCoordinator before
 * KIP-848): JoinGroup/SyncGroup rebalances, heartbeats and session timeouts,
 * LeaveGroup, offset commits and fetches, and group listing. One broker is
 * coordinator for every group. Group membership lives in memory only; after
 * a restart members find themselves unknown and rejoin, while committed
 * offsets come back from the OffsetStore.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly rebalancer: Rebalancer;
  private readonly committer: OffsetCommitter;
  private active = true;

  constructor(private readonly opts: GroupCoordinatorOptions) {
    this.rebalancer = new Rebalancer(opts.settings, opts.metrics, opts.logger);
    this.committer = new OffsetCommitter(opts.offsets, this.rebalancer, opts.logger);
    // Kafka loads a group for every group with committed offsets, so they are listed and describable.
    for (const g of opts.offsets.groupsWithOffsets()) this.groups.set(g, new Group(g));
  }

  join(req: JoinRequest): Promise<JoinResult> {
    const statusError = this.validateGroupStatus(req.groupId, false);
    if (statusError !== null) return Promise.resolve(joinError(req.memberId, statusError));
    const { groupMinSessionTimeoutMs: min, groupMaxSessionTimeoutMs: max } = this.opts.settings;
    if (req.sessionTimeoutMs < min || req.sessionTimeoutMs > max) {
      return Promise.resolve(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }
    const isUnknownMember = req.memberId === '';
    let group = this.groups.get(req.groupId);
    if (!group) {
      // A member ID for a group we do not know belongs to a group that is gone.
      if (!isUnknownMember) return Promise.resolve(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = new Group(req.groupId);
      this.groups.set(req.groupId, group);
    }
    const g = group;
    return new Promise<JoinResult>((resolve) => {
      if (isUnknownMember) joinNewMember(this.rebalancer, g, req, resolve);
      else joinCurrentMember(this.rebalancer, g, req, resolve);
      if (g.is('PreparingRebalance')) this.rebalancer.tryCompleteJoin(g);
    });
  }

  sync(req: SyncRequest): Promise<SyncResult> {
    const statusError = this.validateGroupStatus(req.groupId, false);
    if (statusError !== null) return Promise.resolve(syncError(statusError));
    const group = this.groups.get(req.groupId);
    if (!group) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is('Dead')) return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const member = group.members.get(req.memberId);
    if (!member) return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (req.generationId !== group.generationId) return Promise.resolve(syncError(ErrorCode.ILLEGAL_GENERATION));
    switch (group.state) {
      case 'Empty':
        return Promise.resolve(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
      case 'PreparingRebalance':
        return Promise.resolve(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'Stable':
        this.rebalancer.removePendingSyncMember(group, member.memberId);
        this.rebalancer.heartbeat(group, member);
        return Promise.resolve({
          errorCode: ErrorCode.NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        });
      case 'CompletingRebalance':
        return new Promise<SyncResult>((resolve) => {
          // As in Kafka, a second SyncGroup from the same member replaces the first;
          // answer the first rather than leave it hanging.
          member.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
          member.awaitingSync = resolve;
          this.rebalancer.removePendingSyncMember(group, member.memberId);
          if (!group.isLeader(member.memberId)) return;
          // Members the leader left out get an empty assignment; unknown IDs are ignored.
          const assignments = new Map(req.assignments.map((a) => [a.memberId, Buffer.from(a.assignment)]));
          this.rebalancer.setAndPropagateAssignment(group, assignments);
        });
      case 'Dead':
        return Promise.resolve(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    }
  }

  heartbeat(groupId: string, memberId: string, generationId: number): number {
    const statusError = this.validateGroupStatus(groupId, false);
    if (statusError !== null) return statusError;
    const group = this.groups.get(groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'CompletingRebalance':
      case 'Stable':
        this.rebalancer.heartbeat(group, member);
        return ErrorCode.NONE;
      case 'PreparingRebalance':
        // Keeps the member alive while telling it to rejoin.
        this.rebalancer.heartbeat(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
    }
  }

  leave(groupId: string, leaving: ReadonlyArray<{ memberId: string; groupInstanceId: string | null }>): LeaveResult {
    const statusError = this.validateGroupStatus(groupId, false);
    if (statusError !== null) return { errorCode: statusError, members: [] };
    const group = this.groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.NONE, members: leaving.map((m) => ({ ...m, errorCode: ErrorCode.UNKNOWN_MEMBER_ID })) };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
    const members = leaving.map(({ memberId, groupInstanceId }) => {
      let errorCode: number = ErrorCode.NONE;
      // An empty member ID with an instance ID is an administrative removal by instance ID.
      const id = memberId === '' && groupInstanceId !== null ? group.staticMembers.get(groupInstanceId) : memberId;
      if (id !== undefined && group.isPendingMember(id)) {
        this.rebalancer.removePendingMemberAndUpdateGroup(group, id);
      } else {
        const member = id === undefined ? undefined : group.members.get(id);
        if (member) this.rebalancer.removeMemberAndUpdateGroup(group, member, `member ${member.memberId} left the group`);
        else errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
      }
      return { memberId, groupInstanceId, errorCode };
    });
    return { errorCode: ErrorCode.NONE, members };
  }

  /** One error code per entry of `req.offsets`; resolves once the commit is durable. */
  commitOffsets(req: OffsetCommitRequest): Promise<number[]> {
    const all = (code: number): Promise<number[]> => Promise.resolve(req.offsets.map(() => code));
    const statusError = this.validateGroupStatus(req.groupId, true);
    if (statusError !== null) return all(statusError);
    let group = this.groups.get(req.groupId);
    if (!group) {
      // Kafka creates an Empty group for a commit from outside group management
      // (generation -1); a positive generation for an unknown group is stale.
      if (req.generationId >= 0) return all(ErrorCode.ILLEGAL_GENERATION);
      group = new Group(req.groupId);
      this.groups.set(req.groupId, group);
    }
    return this.committer.commit(group, req);
  }

  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitionIndexes: readonly number[] }> | null): OffsetFetchResult {
    const statusError = this.validateGroupStatus(groupId, true);
    if (statusError !== null) return { errorCode: statusError, topics: [] };
    return this.committer.fetch(groupId, topics);
  }

  describe(groupId: string): GroupDescription {
    const statusError = this.validateGroupStatus(groupId, true);
    const base = { groupId, protocolType: '', protocolData: '', members: [] };
    if (statusError !== null) return { ...base, errorCode: statusError, groupState: '' };
    const group = this.groups.get(groupId);
    if (!group) return { ...base, errorCode: ErrorCode.NONE, groupState: 'Dead' };
    // Metadata and assignments are only shown for a Stable group, whose protocol is settled.
    const stable = group.is('Stable') ? group.protocolName : null;
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      groupState: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ?? '',
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable === null ? Buffer.alloc(0) : m.metadataFor(stable),
        memberAssignment: stable === null ? Buffer.alloc(0) : m.assignment,
      })),
    };
  }

  list(): { errorCode: number; groups: GroupListing[] } {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const groups = [...this.groups.values()].map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state }));
    return { errorCode: ErrorCode.NONE, groups };
  }

  /** True while the group has members (for DeleteGroups-style checks and tests). */
  hasActiveMembers(groupId: string): boolean {
    return (this.groups.get(groupId)?.size ?? 0) > 0;
  }

  /** The group's state as DescribeGroups names it, or undefined when unknown. */
  groupState(groupId: string): string | undefined {
    return this.groups.get(groupId)?.state;
  }

  /** Kafka's DeleteGroups: only an Empty group may go, with its offsets. */
  async deleteGroup(groupId: string): Promise<number> {
    const statusError = this.validateGroupStatus(groupId, true);
    if (statusError !== null) return statusError;
    const group = this.groups.get(groupId);
    if (!group || group.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!group.is('Empty')) return ErrorCode.NON_EMPTY_GROUP;
    group.transitionTo('Dead');
    group.clearTimers();
    this.groups.delete(groupId);
    this.opts.metrics.groupMembers.remove({ group: groupId });
    await this.opts.offsets.deleteGroup(groupId);
    return ErrorCode.NONE;
  }

  /** Drops committed offsets of a deleted topic in every group (Kafka's handleDeletedPartitions). */
  onTopicDeleted(topic: string): Promise<void> {
    return this.opts.offsets.deleteTopic(topic);
  }

  /**
   * Stops the coordinator, as Kafka's onGroupUnloaded does for every group:
   * parked JoinGroup and SyncGroup requests are answered NOT_COORDINATOR so
   * nothing hangs, timers are cleared, later requests get
   * COORDINATOR_NOT_AVAILABLE. The OffsetStore belongs to the caller and stays open.
   */
  async close(): Promise<void> {
    this.active = false;
    for (const group of this.groups.values()) {
      const previous = group.state;
      group.transitionTo('Dead');
      group.clearTimers();
      for (const m of group.members.values()) {
        if (previous === 'PreparingRebalance') group.completeJoin(m, joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        group.completeSync(m, syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
    this.groups.clear();
    await this.committer.drain();
  }

  /**
   * Kafka's validateGroupStatus. OffsetCommit, OffsetFetch, DescribeGroups and
   * DeleteGroups accept the empty group ID for backward compatibility; the
   * group-management APIs do not.
   */
  private validateGroupStatus(groupId: string, emptyIdAllowed: boolean): number | null {
    if (!emptyIdAllowed && groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return null;
  }
}

