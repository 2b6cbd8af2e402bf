import type { BrokerSettings } from '../broker-context';
import type { Logger } from '../logger';
import type { BrokerMetrics } from '../metrics';
import { ErrorCode } from '../protocol/error-codes';
import type { Group } from './group';
import type { Member } from './member';
import { joinError, syncError, type JoinResult } from './results';

/**
 * Kafka's GroupCoordinator.NewMemberJoinTimeoutMs: a member that joined but
 * never got its first JoinGroup answer (its client gave up and will retry
 * with a fresh ID) is dropped after this long rather than its session timeout,
 * which it cannot keep alive without a generation.
 */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

/**
 * The rebalance protocol's timed transitions, after Kafka's GroupCoordinator
 * and its purgatories (DelayedJoin, InitialDelayedJoin, DelayedSync,
 * DelayedHeartbeat). Node runs one callback at a time, so each group's state
 * is only touched by one of these at once, as Kafka's group lock ensures.
 */
export class Rebalancer {
  constructor(
    private readonly settings: BrokerSettings,
    private readonly metrics: BrokerMetrics,
    private readonly logger: Logger,
  ) {}

  addMemberAndRebalance(group: Group, member: Member, callback: (r: JoinResult) => void): void {
    member.isNew = true;
    // Lets InitialDelayedJoin know to wait a little longer for more newcomers.
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, callback);
    this.recordMembers(group);
    this.scheduleExpiration(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalance(group, `adding new member ${member.memberId}`);
  }

  updateMemberAndRebalance(
    group: Group,
    member: Member,
    join: { protocols: Member['protocols']; rebalanceTimeoutMs: number; sessionTimeoutMs: number },
    callback: (r: JoinResult) => void,
    reason: string,
  ): void {
    group.updateMember(member, join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, callback);
    this.maybePrepareRebalance(group, reason);
  }

  maybePrepareRebalance(group: Group, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  prepareRebalance(group: Group, reason: string): void {
    // Members waiting in SyncGroup for an assignment that will never come must rejoin.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.removeSyncExpiration(group);
    const wasEmpty = group.is('Empty');
    group.transitionTo('PreparingRebalance');
    this.logger.info(
      { group: group.groupId, generation: group.generationId, members: group.size, reason },
      'preparing to rebalance group',
    );
    if (wasEmpty) {
      const delay = this.settings.groupInitialRebalanceDelayMs;
      this.armInitialJoin(group, delay, delay, Math.max(group.rebalanceTimeoutMs - delay, 0));
    } else {
      this.armJoin(group, group.rebalanceTimeoutMs);
    }
  }

  /** Completes the pending join now if every member has rejoined (Kafka's tryCompleteJoin). */
  tryCompleteJoin(group: Group): void {
    if (group.joinTimer?.kind !== 'normal' || !group.hasAllMembersJoined) return;
    clearTimeout(group.joinTimer.handle);
    group.joinTimer = null;
    this.onCompleteJoin(group);
  }

  removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
    // A member removed while its JoinGroup is parked gets UNKNOWN_MEMBER_ID, so a
    // live client retries with a fresh ID. A parked SyncGroup (which Kafka would
    // drop; in-order connections make it unlikely) is answered the same way.
    group.completeJoin(member, joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    group.completeSync(member, syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    this.recordMembers(group);
    this.logger.info({ group: group.groupId, member: member.memberId, reason }, 'member removed from group');
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalance(group, reason);
    else if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  removePendingMemberAndUpdateGroup(group: Group, memberId: string): void {
    group.remove(memberId);
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  /** KIP-394: a member ID handed out with MEMBER_ID_REQUIRED lapses after the session timeout. */
  addPendingMember(group: Group, memberId: string, sessionTimeoutMs: number): void {
    const timer = setTimeout(() => {
      if (group.is('Dead') || !group.isPendingMember(memberId)) return;
      this.logger.info({ group: group.groupId, member: memberId }, 'pending member expired');
      this.removePendingMemberAndUpdateGroup(group, memberId);
    }, sessionTimeoutMs);
    timer.unref();
    group.addPendingMember(memberId, timer);
  }

  /** A sign of life from the member: restart its session timeout. */
  heartbeat(group: Group, member: Member): void {
    this.scheduleExpiration(group, member, member.sessionTimeoutMs);
  }

  /**
   * (Re)arms the member's expiration. Kafka's DelayedHeartbeat completes at
   * once, without a timer, for a member parked in JoinGroup or SyncGroup; the
   * next expiration is armed when that request is answered.
   */
  private scheduleExpiration(group: Group, member: Member, timeoutMs: number): void {
    member.clearHeartbeatTimer();
    if (member.livenessImplied) return;
    const timer = setTimeout(() => {
      member.heartbeatTimer = null;
      if (group.is('Dead') || group.members.get(member.memberId) !== member || member.livenessImplied) return;
      this.logger.info({ group: group.groupId, member: member.memberId, timeoutMs }, 'member session expired');
      this.removeMemberAndUpdateGroup(group, member, `session of ${member.memberId} expired`);
    }, timeoutMs);
    timer.unref();
    member.heartbeatTimer = timer;
  }

  private armJoin(group: Group, timeoutMs: number): void {
    const handle = setTimeout(() => {
      group.joinTimer = null;
      this.onCompleteJoin(group);
    }, timeoutMs);
    handle.unref();
    group.joinTimer = { kind: 'normal', handle };
    this.tryCompleteJoin(group);
  }

  private armInitialJoin(group: Group, configuredDelay: number, delayMs: number, remainingMs: number): void {
    const handle = setTimeout(() => {
      group.joinTimer = null;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const next = Math.min(configuredDelay, remainingMs);
        this.armInitialJoin(group, configuredDelay, next, Math.max(remainingMs - delayMs, 0));
      } else {
        this.onCompleteJoin(group);
      }
    }, delayMs);
    handle.unref();
    group.joinTimer = { kind: 'initial', handle };
  }

  /** The join phase ends: drop laggards, start the next generation and answer every parked JoinGroup. */
  private onCompleteJoin(group: Group): void {
    if (group.is('Dead')) return;
    for (const laggard of group.notYetRejoinedMembers()) {
      this.logger.info({ group: group.groupId, member: laggard.memberId }, 'removing member that did not rejoin in time');
      group.remove(laggard.memberId);
    }
    this.recordMembers(group);
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Unreachable while every non-rejoined member is removed above (Kafka keeps
      // static members here); kept so the group waits rather than breaks.
      this.armJoin(group, group.rebalanceTimeoutMs);
      return;
    }
    group.initNextGeneration();
    if (group.is('Empty')) {
      this.logger.info({ group: group.groupId, generation: group.generationId }, 'group is now empty');
      return;
    }
    this.metrics.rebalances.inc({ group: group.groupId });
    this.logger.info(
      { group: group.groupId, generation: group.generationId, members: group.size, protocol: group.protocolName },
      'group stabilized a new generation',
    );
    const leaderMembers = group.currentMemberMetadata();
    for (const member of group.members.values()) {
      group.completeJoin(member, {
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId ?? '',
        memberId: member.memberId,
        members: group.isLeader(member.memberId) ? leaderMembers : [],
      });
      this.heartbeat(group, member);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    this.schedulePendingSync(group);
  }

  /**
   * Members that got a JoinGroup answer must send SyncGroup within the
   * rebalance timeout, or they are removed and the group rebalances again
   * (Kafka's DelayedSync, KAFKA-12890): otherwise a member that died between the
   * two calls would keep its partitions unconsumed until its session expired.
   */
  private schedulePendingSync(group: Group): void {
    const generation = group.generationId;
    const handle = setTimeout(() => {
      group.syncTimer = null;
      if (generation !== group.generationId) return;
      if (!(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSyncMembers.size === 0) return;
      const laggards = [...group.pendingSyncMembers];
      for (const id of laggards) group.remove(id);
      this.recordMembers(group);
      this.prepareRebalance(group, `members ${laggards.join(', ')} did not send SyncGroup in time`);
    }, group.rebalanceTimeoutMs);
    handle.unref();
    group.syncTimer = handle;
  }

  removePendingSyncMember(group: Group, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.removeSyncExpiration(group);
  }

  private removeSyncExpiration(group: Group): void {
    group.pendingSyncMembers.clear();
    if (group.syncTimer) clearTimeout(group.syncTimer);
    group.syncTimer = null;
  }

  /** The leader's SyncGroup arrived: every member gets its assignment and the group is Stable. */
  setAndPropagateAssignment(group: Group, assignments: ReadonlyMap<string, Buffer>): void {
    for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? Buffer.alloc(0);
    this.propagateAssignment(group, ErrorCode.NONE);
    group.transitionTo('Stable');
  }

  private resetAndPropagateAssignmentError(group: Group, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = Buffer.alloc(0);
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: Group, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const answered = group.completeSync(m, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      // A member whose session lapsed while it waited here was spared; its
      // session restarts now that it has its answer.
      if (answered) this.heartbeat(group, m);
    }
  }

  recordMembers(group: Group): void {
    this.metrics.groupMembers.set({ group: group.groupId }, group.size);
  }
}
