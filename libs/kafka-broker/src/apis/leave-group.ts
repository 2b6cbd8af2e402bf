import { ErrorCode } from '../protocol/error-codes';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { defineApi } from './api';

interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
  members: Array<{ memberId: string; groupInstanceId: string | null }>;
}

interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }>;
}

/**
 * LeaveGroup v0-v3. v3 (KIP-345) removes a batch of members, each with its
 * own error; before that one member leaves and its error is the top-level
 * one, as Kafka's LeaveGroupResponse folds it for old versions.
 */
export const leaveGroupApi = defineApi<LeaveGroupRequest, LeaveGroupResponse>({
  key: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 3,
  request: message(
    '4+',
    field('groupId', 'string', '0+'),
    field('memberId', 'string', '0-2'),
    field(
      'members',
      arrayOf(
        struct(
          field('memberId', 'string', '3+'),
          field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
        ),
      ),
      '3+',
    ),
  ),
  response: message(
    '4+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field(
      'members',
      arrayOf(
        struct(
          field('memberId', 'string', '3+'),
          field('groupInstanceId', 'string', '3+', { nullable: '3+' }),
          field('errorCode', 'int16', '3+'),
        ),
      ),
      '3+',
    ),
  ),
  handle: (req, version, ctx) => {
    const leaving = version >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null }];
    const result = ctx.broker.groups.leave(req.groupId, leaving);
    if (version >= 3) return { throttleTimeMs: 0, errorCode: result.errorCode, members: [...result.members] };
    const memberError = result.members[0]?.errorCode ?? ErrorCode.NONE;
    const errorCode = result.errorCode !== ErrorCode.NONE ? result.errorCode : memberError;
    return { throttleTimeMs: 0, errorCode, members: [] };
  },
  // Kafka's getErrorResponse sets only the top-level error.
  errorResponse: (_req, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, members: [] }),
});
