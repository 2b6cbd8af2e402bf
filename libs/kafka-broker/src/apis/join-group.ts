import { joinError, type JoinResult } from '../groups/results';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { defineApi, type RequestContext } from './api';

interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
}

interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolName: string;
  leader: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; metadata: Buffer }>;
}

/**
 * JoinGroup v0-v5. The answer comes when the rebalance completes, so the
 * handler's promise may stay pending up to the rebalance timeout; the
 * connection's later requests wait behind it, as in Kafka (kafkajs sizes its
 * request timeout for that).
 */
export const joinGroupApi = defineApi<JoinGroupRequest, JoinGroupResponse>({
  key: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 5,
  request: message(
    '6+',
    field('groupId', 'string', '0+'),
    field('sessionTimeoutMs', 'int32', '0+'),
    field('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
    field('protocolType', 'string', '0+'),
    field('protocols', arrayOf(struct(field('name', 'string', '0+'), field('metadata', 'bytes', '0+'))), '0+'),
  ),
  response: message(
    '6+',
    field('throttleTimeMs', 'int32', '2+'),
    field('errorCode', 'int16', '0+'),
    field('generationId', 'int32', '0+', { default: -1 }),
    field('protocolName', 'string', '0+', { nullable: '7+' }),
    field('leader', 'string', '0+'),
    field('memberId', 'string', '0+'),
    field(
      'members',
      arrayOf(
        struct(
          field('memberId', 'string', '0+'),
          field('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
          field('metadata', 'bytes', '0+'),
        ),
      ),
      '0+',
    ),
  ),
  handle: async (req, version, ctx) => toResponse(await join(req, version, ctx)),
  // Kafka's JoinGroupRequest.getErrorResponse: no member ID, no generation, no leader.
  errorResponse: (_req, _version, errorCode) => toResponse(joinError('', errorCode)),
});

function join(req: JoinGroupRequest, version: number, ctx: RequestContext): Promise<JoinResult> {
  return ctx.broker.groups.join({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: req.groupInstanceId,
    // KIP-394: only clients that can handle MEMBER_ID_REQUIRED (v4+) get it.
    requireKnownMemberId: version >= 4,
    clientId: ctx.clientId ?? '',
    clientHost: clientHost(ctx.remoteAddress),
    // v0 has no rebalance timeout; Kafka uses the session timeout in its place.
    rebalanceTimeoutMs: version === 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
    sessionTimeoutMs: req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
  });
}

function toResponse(r: JoinResult): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    // Versions before 7 cannot send a null protocol name; Kafka sends "".
    protocolName: r.protocolName ?? '',
    leader: r.leader,
    memberId: r.memberId,
    members: r.members.map((m) => ({ ...m })),
  };
}

/** Kafka reports the client's address as InetAddress.toString(): "/127.0.0.1". */
export function clientHost(remoteAddress: string): string {
  const colon = remoteAddress.lastIndexOf(':');
  const ip = colon >= 0 ? remoteAddress.slice(0, colon) : remoteAddress;
  return `/${ip}`;
}
