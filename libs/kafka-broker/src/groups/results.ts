/** What a JoinGroup caller gets back; the API layer maps it onto the response version. */
export interface JoinResult {
  readonly errorCode: number;
  readonly generationId: number;
  readonly protocolType: string | null;
  /** Null on errors; versions before 7 send it as "". */
  readonly protocolName: string | null;
  readonly leader: string;
  readonly memberId: string;
  /** Every member's metadata for the chosen protocol; only the leader gets it. */
  readonly members: ReadonlyArray<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

export interface SyncResult {
  readonly errorCode: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly assignment: Buffer;
}

export interface LeaveResult {
  readonly errorCode: number;
  readonly members: ReadonlyArray<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

export interface MemberDescription {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly memberMetadata: Buffer;
  readonly memberAssignment: Buffer;
}

export interface GroupDescription {
  readonly errorCode: number;
  readonly groupId: string;
  /** Kafka's state names: "Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"; "" on error. */
  readonly groupState: string;
  readonly protocolType: string;
  /** The chosen protocol while Stable, else "". */
  readonly protocolData: string;
  readonly members: readonly MemberDescription[];
}

export interface GroupListing {
  readonly groupId: string;
  readonly protocolType: string;
  readonly groupState: string;
}

export interface OffsetFetchPartition {
  readonly partitionIndex: number;
  readonly committedOffset: number;
  readonly committedLeaderEpoch: number;
  readonly metadata: string | null;
  readonly errorCode: number;
}

export interface OffsetFetchResult {
  readonly errorCode: number;
  readonly topics: ReadonlyArray<{ name: string; partitions: OffsetFetchPartition[] }>;
}

/** Kafka's JoinGroupResult(memberId, error): no generation, no protocol, no leader. */
export function joinError(memberId: string, errorCode: number): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] };
}

export function syncError(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}
