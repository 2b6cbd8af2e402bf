import { arrayOf, field, message, struct } from '../protocol/schema';
import { defineApi } from './api';

type ListGroupsRequest = Record<string, never>;

interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: Array<{ groupId: string; protocolType: string }>;
}

/**
 * ListGroups v0-v2: every group the coordinator knows, including Empty groups
 * that only hold committed offsets (protocol type "" when none ever joined).
 */
export const listGroupsApi = defineApi<ListGroupsRequest, ListGroupsResponse>({
  key: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 2,
  request: message('3+'),
  response: message(
    '3+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field('groups', arrayOf(struct(field('groupId', 'string', '0+'), field('protocolType', 'string', '0+'))), '0+'),
  ),
  handle: (_req, _version, ctx) => {
    const { errorCode, groups } = ctx.broker.groups.list();
    return {
      throttleTimeMs: 0,
      errorCode,
      groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType })),
    };
  },
  errorResponse: (_req, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] }),
});
