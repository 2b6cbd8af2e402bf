import { arrayOf, field, message, struct } from '../protocol/schema';
import { defineApi } from './api';

interface DeleteGroupsRequest {
  groupsNames: string[];
}

interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: Array<{ groupId: string; errorCode: number; errorMessage: string | null }>;
}

/**
 * DeleteGroups v0-v3 (`kafka-consumer-groups --delete`): an Empty group goes with its committed
 * offsets; a group with members gets NON_EMPTY_GROUP and an unknown one GROUP_ID_NOT_FOUND.
 */
export const deleteGroupsApi = defineApi<DeleteGroupsRequest, DeleteGroupsResponse>({
  key: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 3,
  request: message('2+', field('groupsNames', arrayOf('string'), '0+')),
  response: message(
    '2+',
    field('throttleTimeMs', 'int32', '0+'),
    field(
      'results',
      arrayOf(
        struct(
          field('groupId', 'string', '0+'),
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '3+', { nullable: '3+', default: null }),
        ),
      ),
      '0+',
    ),
  ),
  async handle(req, _version, ctx) {
    const results: DeleteGroupsResponse['results'] = [];
    for (const groupId of new Set(req.groupsNames)) {
      results.push({ groupId, errorCode: await ctx.broker.groups.deleteGroup(groupId), errorMessage: null });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse: (req, _version, errorCode) => ({
    throttleTimeMs: 0,
    results: req.groupsNames.map((groupId) => ({ groupId, errorCode, errorMessage: null })),
  }),
});
