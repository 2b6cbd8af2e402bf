import { syncError, type SyncResult } from '../groups/results';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { defineApi } from './api';

interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

interface SyncGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  assignment: Buffer;
}

/**
 * SyncGroup v0-v3. Followers wait here until the leader sends the group's
 * assignment; the leader's own request completes the generation.
 */
export const syncGroupApi = defineApi<SyncGroupRequest, SyncGroupResponse>({
  key: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 3,
  request: message(
    '4+',
    field('groupId', 'string', '0+'),
    field('generationId', 'int32', '0+'),
    field('memberId', 'string', '0+'),
    field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    field('assignments', arrayOf(struct(field('memberId', 'string', '0+'), field('assignment', 'bytes', '0+'))), '0+'),
  ),
  response: message(
    '4+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field('assignment', 'bytes', '0+'),
  ),
  handle: async (req, _version, ctx) =>
    toResponse(
      await ctx.broker.groups.sync({
        groupId: req.groupId,
        generationId: req.generationId,
        memberId: req.memberId,
        assignments: req.assignments,
      }),
    ),
  errorResponse: (_req, _version, errorCode) => toResponse(syncError(errorCode)),
});

function toResponse(r: SyncResult): SyncGroupResponse {
  return { throttleTimeMs: 0, errorCode: r.errorCode, assignment: r.assignment };
}
