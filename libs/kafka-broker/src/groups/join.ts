import { randomUUID } from 'node:crypto';
import { ErrorCode } from '../protocol/error-codes';
import type { Group } from './group';
import { Member, type GroupProtocol } from './member';
import type { Rebalancer } from './rebalance';
import { joinError, type JoinResult } from './results';

export interface JoinRequest {
  readonly groupId: string;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** KIP-394 (JoinGroup v4+): a new dynamic member first gets MEMBER_ID_REQUIRED and an ID to rejoin with. */
  readonly requireKnownMemberId: boolean;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly protocolType: string;
  readonly protocols: readonly GroupProtocol[];
}

type Respond = (r: JoinResult) => void;

/**
 * JoinGroup from a client without a member ID (Kafka's doNewMemberJoinGroup).
 * The member ID is clientId (or group.instance.id) + '-' + a UUID, as Kafka makes it.
 */
export function joinNewMember(rebalancer: Rebalancer, group: Group, req: JoinRequest, respond: Respond): void {
  if (group.is('Dead')) return respond(joinError('', ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (!group.supportsProtocols(req.protocolType, req.protocols)) {
    return respond(joinError('', ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  }
  const memberId = `${req.groupInstanceId ?? req.clientId}-${randomUUID()}`;
  // Static members (group.instance.id) skip KIP-394 as in Kafka, but are otherwise
  // treated as dynamic: no fencing of a previous instance with the same ID.
  if (req.requireKnownMemberId && req.groupInstanceId === null) {
    rebalancer.addPendingMember(group, memberId, req.sessionTimeoutMs);
    return respond(joinError(memberId, ErrorCode.MEMBER_ID_REQUIRED));
  }
  rebalancer.addMemberAndRebalance(group, newMember(memberId, req), respond);
}

/** JoinGroup from a client with a member ID (Kafka's doCurrentMemberJoinGroup). */
export function joinCurrentMember(rebalancer: Rebalancer, group: Group, req: JoinRequest, respond: Respond): void {
  const { memberId } = req;
  if (group.is('Dead')) return respond(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
  if (!group.supportsProtocols(req.protocolType, req.protocols)) {
    return respond(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  }
  // The second half of KIP-394: the ID we handed out comes back and becomes a member.
  if (group.isPendingMember(memberId)) return rebalancer.addMemberAndRebalance(group, newMember(memberId, req), respond);
  const member = group.members.get(memberId);
  if (!member) return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  const join = { ...req, protocols: copyProtocols(req.protocols) };
  const update = (reason: string): void => rebalancer.updateMemberAndRebalance(group, member, join, respond, reason);
  switch (group.state) {
    case 'PreparingRebalance':
      return update(`member ${memberId} joining during PreparingRebalance`);
    case 'CompletingRebalance':
      // Same metadata: the member probably missed its JoinGroup answer; resend it.
      if (member.matches(req.protocols)) return respond(currentGeneration(group, memberId, group.isLeader(memberId)));
      return update(`member ${memberId} changed its metadata during CompletingRebalance`);
    case 'Stable':
      // A rejoining leader forces a rebalance: that is how a consumer leader
      // reacts to metadata changes (new partitions) that change no member's metadata.
      if (group.isLeader(memberId)) return update(`leader ${memberId} rejoining`);
      if (!member.matches(req.protocols)) return update(`member ${memberId} changed its metadata`);
      return respond(currentGeneration(group, memberId, false));
    case 'Empty':
    case 'Dead':
      return respond(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

function newMember(memberId: string, req: JoinRequest): Member {
  const protocols = copyProtocols(req.protocols);
  return new Member(memberId, req.groupInstanceId, req.clientId, req.clientHost, req.rebalanceTimeoutMs, req.sessionTimeoutMs, req.protocolType, protocols);
}

/** The current generation as a JoinGroup answer, without a rebalance. */
function currentGeneration(group: Group, memberId: string, withMembers: boolean): JoinResult {
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    memberId,
    members: withMembers ? group.currentMemberMetadata() : [],
  };
}

/** Request buffers are views into the request frame; a member keeps its own copy. */
function copyProtocols(protocols: readonly GroupProtocol[]): GroupProtocol[] {
  return protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) }));
}
