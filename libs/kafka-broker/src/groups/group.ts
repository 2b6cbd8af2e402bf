import { ErrorCode } from '../protocol/error-codes';
import type { GroupProtocol, Member } from './member';
import { joinError, type JoinResult, type SyncResult } from './results';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Kafka's GroupState.validPreviousStates: any other transition is a coordinator bug. */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
  Empty: ['PreparingRebalance'],
};

/**
 * The pending JoinGroup completion. 'initial' is Kafka's InitialDelayedJoin:
 * it never completes early, and it re-arms while new members keep arriving
 * (group.initial.rebalance.delay.ms), so a group that starts with many
 * consumers settles in one rebalance instead of one per consumer.
 */
export type JoinTimer =
  | { readonly kind: 'normal'; readonly handle: NodeJS.Timeout }
  | { readonly kind: 'initial'; readonly handle: NodeJS.Timeout };

/**
 * One classic consumer group's membership and state, after Kafka's
 * GroupMetadata. It holds no policy: the coordinator decides when to
 * rebalance; this class keeps the bookkeeping consistent (awaiting counts,
 * protocol support counts, leader, pending members).
 */
export class Group {
  private currentState: GroupState;
  protocolType: string | null = null;
  protocolName: string | null = null;
  generationId = 0;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  /** group.instance.id → member ID, for LeaveGroup by instance ID. */
  readonly staticMembers = new Map<string, string>();
  /** KIP-394: member IDs handed out with MEMBER_ID_REQUIRED that have not joined yet. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  /** Set when a member joins during the initial delay, so the delay is extended. */
  newMemberAdded = false;
  joinTimer: JoinTimer | null = null;
  syncTimer: NodeJS.Timeout | null = null;
  private numAwaitingJoin = 0;
  private readonly supportedProtocols = new Map<string, number>();

  constructor(
    readonly groupId: string,
    initialState: GroupState = 'Empty',
  ) {
    this.currentState = initialState;
  }

  get state(): GroupState {
    return this.currentState;
  }

  is(state: GroupState): boolean {
    return this.currentState === state;
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  get canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.currentState);
  }

  transitionTo(state: GroupState): void {
    if (!VALID_PREVIOUS[state].includes(this.currentState)) {
      throw new Error(`group ${this.groupId}: invalid transition from ${this.currentState} to ${state}`);
    }
    this.currentState = state;
  }

  /** The largest rebalance timeout of the members: how long a join waits for laggards. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Every known member has rejoined and no member ID handed out is still outstanding. */
  get hasAllMembersJoined(): boolean {
    return this.members.size === this.numAwaitingJoin && this.pendingMembers.size === 0;
  }

  add(member: Member, callback: ((r: JoinResult) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
    this.members.set(member.memberId, member);
    this.changeSupport(member.protocols, 1);
    member.awaitingJoin = callback;
    if (callback) this.numAwaitingJoin++;
    this.removePendingMember(member.memberId);
  }

  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      this.changeSupport(member.protocols, -1);
      if (member.isAwaitingJoin) this.numAwaitingJoin--;
      member.clearHeartbeatTimer();
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
        this.staticMembers.delete(member.groupInstanceId);
      }
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.removePendingMember(memberId);
    this.pendingSyncMembers.delete(memberId);
    return member;
  }

  addPendingMember(memberId: string, expiry: NodeJS.Timeout): void {
    if (this.has(memberId)) throw new Error(`pending member ${memberId} is already a member of ${this.groupId}`);
    this.pendingMembers.set(memberId, expiry);
  }

  removePendingMember(memberId: string): void {
    const timer = this.pendingMembers.get(memberId);
    if (timer) clearTimeout(timer);
    this.pendingMembers.delete(memberId);
  }

  updateMember(
    member: Member,
    protocols: readonly GroupProtocol[],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    callback: (r: JoinResult) => void,
  ): void {
    this.changeSupport(member.protocols, -1);
    member.protocols = protocols;
    this.changeSupport(protocols, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    const previous = member.awaitingJoin;
    if (!previous) this.numAwaitingJoin++;
    member.awaitingJoin = callback;
    // Kafka silently drops a superseded JoinGroup (only possible from another,
    // usually dead, connection); answering it keeps that request from hanging.
    // REBALANCE_IN_PROGRESS makes a client rejoin, which is what it was doing anyway.
    previous?.(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  }

  /** Answers the member's parked JoinGroup, if it has one. */
  completeJoin(member: Member, result: JoinResult): void {
    const callback = member.awaitingJoin;
    if (!callback) return;
    member.awaitingJoin = null;
    this.numAwaitingJoin--;
    callback(result);
  }

  /** Answers the member's parked SyncGroup, if it has one. Returns whether it had one. */
  completeSync(member: Member, result: SyncResult): boolean {
    const callback = member.awaitingSync;
    if (!callback) return false;
    member.awaitingSync = null;
    callback(result);
    return true;
  }

  /**
   * Keeps the current leader if it rejoined, else promotes any member that
   * did. False when no member rejoined (or there is no leader).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a member with these protocols may join: an empty group takes any
   * non-empty protocol type and list; otherwise the type must match and at
   * least one protocol must be supported by every current member.
   */
  supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.is('Empty')) return protocolType.length > 0 && protocols.length > 0;
    return (
      this.protocolType === protocolType &&
      protocols.some((p) => (this.supportedProtocols.get(p.name) ?? 0) === this.members.size)
    );
  }

  /** Each member votes for its most preferred protocol that all members support; most votes wins. */
  selectProtocol(): string {
    const candidates = new Set<string>();
    for (const [name, count] of this.supportedProtocols) if (count === this.members.size) candidates.add(name);
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | null = null;
    for (const [name, n] of votes) if (best === null || n > votes.get(best)!) best = name;
    if (best === null) throw new Error(`cannot select a protocol for empty group ${this.groupId}`);
    return best;
  }

  /** A new generation: CompletingRebalance with a chosen protocol, or Empty when nobody is left. */
  initNextGeneration(): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance');
    } else {
      this.protocolName = null;
      this.transitionTo('Empty');
    }
    this.pendingSyncMembers.clear();
  }

  /** Members' metadata for the chosen protocol, as the leader receives it. */
  currentMemberMetadata(): JoinResult['members'] {
    const protocol = this.protocolName;
    if (protocol === null) throw new Error(`group ${this.groupId} has no protocol in state ${this.state}`);
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadataFor(protocol),
    }));
  }

  notYetRejoinedMembers(): Member[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  clearTimers(): void {
    if (this.joinTimer) clearTimeout(this.joinTimer.handle);
    this.joinTimer = null;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    for (const t of this.pendingMembers.values()) clearTimeout(t);
    for (const m of this.members.values()) m.clearHeartbeatTimer();
  }

  private changeSupport(protocols: readonly GroupProtocol[], delta: number): void {
    for (const p of protocols) this.supportedProtocols.set(p.name, (this.supportedProtocols.get(p.name) ?? 0) + delta);
  }
}
