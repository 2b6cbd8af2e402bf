import type { JoinResult, SyncResult } from './results';

export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Buffer;
}

const EMPTY = Buffer.alloc(0);

/**
 * One member of a classic group, after Kafka's MemberMetadata: its
 * protocols in order of preference, timeouts, the assignment the leader gave
 * it, and the JoinGroup/SyncGroup response it is waiting for, if any.
 */
export class Member {
  assignment: Buffer = EMPTY;
  awaitingJoin: ((result: JoinResult) => void) | null = null;
  awaitingSync: ((result: SyncResult) => void) | null = null;
  /**
   * Set from being added until its first join completes. A new member cannot
   * heartbeat yet (it has no generation), so Kafka expires it after
   * NEW_MEMBER_JOIN_TIMEOUT_MS instead of its session timeout.
   */
  isNew = false;
  /** The session (or new-member) expiration; null while none is scheduled. */
  heartbeatTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientId: string,
    readonly clientHost: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    readonly protocolType: string,
    public protocols: readonly GroupProtocol[],
  ) {}

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  /**
   * Whether a session expiration firing now should spare the member: members
   * parked in JoinGroup or SyncGroup are alive by definition (their
   * connection is busy waiting), except new members, which would otherwise
   * never expire if their client vanished mid-join.
   */
  get livenessImplied(): boolean {
    return !this.isNew && (this.isAwaitingJoin || this.isAwaitingSync);
  }

  metadataFor(protocol: string): Buffer {
    const p = this.protocols.find((x) => x.name === protocol);
    if (!p) throw new Error(`member ${this.memberId} does not support protocol ${protocol}`);
    return p.metadata;
  }

  /** Same protocols, in the same order, with byte-identical metadata. */
  matches(protocols: readonly GroupProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const p = this.protocols.find((x) => candidates.has(x.name));
    if (!p) throw new Error(`member ${this.memberId} supports none of the candidate protocols`);
    return p.name;
  }

  clearHeartbeatTimer(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }
}
