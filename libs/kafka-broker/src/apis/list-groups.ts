import { arrayOf, field, message, struct } from '../protocol/schema';
import { defineApi } from './api';

interface ListGroupsRequest {
  statesFilter: string[];
  typesFilter: string[];
}

interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: Array<{ groupId: string; protocolType: string; groupState: string; groupType: string }>;
}

/** Every group here is a classic group (JoinGroup/SyncGroup); Kafka names the type in lower case. */
const GROUP_TYPE = 'classic';

/**
 * ListGroups v0-v5: every group the coordinator knows, including Empty groups that only hold
 * committed offsets (protocol type "" when none ever joined). v4 adds each group's state and a
 * filter by state, v5 its type and a filter by type (`kafka-consumer-groups --list --state` and
 * `--type`); both filters match without regard to case, as Kafka's coordinator does, and an
 * empty filter matches everything.
 */
export const listGroupsApi = defineApi<ListGroupsRequest, ListGroupsResponse>({
  key: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  request: message('3+', field('statesFilter', arrayOf('string'), '4+'), field('typesFilter', arrayOf('string'), '5+')),
  response: message(
    '3+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '0+'),
    field(
      'groups',
      arrayOf(
        struct(
          field('groupId', 'string', '0+'),
          field('protocolType', 'string', '0+'),
          field('groupState', 'string', '4+'),
          field('groupType', 'string', '5+'),
        ),
      ),
      '0+',
    ),
  ),
  handle: (req, _version, ctx) => {
    const { errorCode, groups } = ctx.broker.groups.list();
    const states = new Set(req.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(req.typesFilter.map((t) => t.toLowerCase()));
    return {
      throttleTimeMs: 0,
      errorCode,
      groups: groups
        .filter((g) => (states.size === 0 || states.has(g.groupState.toLowerCase())) && (types.size === 0 || types.has(GROUP_TYPE)))
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.groupState, groupType: GROUP_TYPE })),
    };
  },
  errorResponse: (_req, _version, errorCode) => ({ throttleTimeMs: 0, errorCode, groups: [] }),
});
