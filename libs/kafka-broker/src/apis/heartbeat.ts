import { field, message } from '../protocol/schema';
import { defineApi } from './api';

interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

interface HeartbeatResponse {
  throttleTimeMs: number;
  errorCode: number;
}

/**
 * Heartbeat v0-v3: keeps the member's session alive and tells it, with
 * REBALANCE_IN_PROGRESS, when it must rejoin.
 */
export const heartbeatApi = defineApi<HeartbeatRequest, HeartbeatResponse>({
  key: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 3,
  request: message(
    '4+',
    field('groupId', 'string', '0+'),
    field('generationId', 'int32', '0+'),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  ),
  response: message('4+', field('throttleTimeMs', 'int32', '1+'), field('errorCode', 'int16', '0+')),
  handle: (req, _version, ctx) => ({
    throttleTimeMs: 0,
    errorCode: ctx.broker.groups.heartbeat(req.groupId, req.memberId, req.generationId),
  }),
  errorResponse: (_req, _version, errorCode) => ({ throttleTimeMs: 0, errorCode }),
});
