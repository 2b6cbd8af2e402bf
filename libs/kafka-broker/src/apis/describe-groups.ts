import type { GroupDescription } from '../groups/results';
import { ErrorCode } from '../protocol/error-codes';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { defineApi } from './api';
import { OPERATIONS_NOT_REQUESTED } from './authorized-operations';

interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}

interface DescribedGroup extends GroupDescription {
  errorMessage: string | null;
  authorizedOperations: number;
}

interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: DescribedGroup[];
}

/**
 * With no authorizer every operation a group supports is allowed; in Kafka
 * 3.x those are READ (3), DELETE (6) and DESCRIBE (8), as a bit field.
 */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

/**
 * DescribeGroups v0-v6. An unknown group is described as "Dead", with no error before v6 and with
 * GROUP_ID_NOT_FOUND from v6 on (KIP-1043), as Kafka does: Kafka 4's tools then report
 * "Group G not found." as they do against Apache Kafka.
 */
export const describeGroupsApi = defineApi<DescribeGroupsRequest, DescribeGroupsResponse>({
  key: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 6,
  request: message('5+', field('groups', arrayOf('string'), '0+'), field('includeAuthorizedOperations', 'bool', '3+')),
  response: message(
    '5+',
    field('throttleTimeMs', 'int32', '1+'),
    field(
      'groups',
      arrayOf(
        struct(
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '6+', { nullable: '6+', default: null }),
          field('groupId', 'string', '0+'),
          field('groupState', 'string', '0+'),
          field('protocolType', 'string', '0+'),
          field('protocolData', 'string', '0+'),
          field(
            'members',
            arrayOf(
              struct(
                field('memberId', 'string', '0+'),
                field('groupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
                field('clientId', 'string', '0+'),
                field('clientHost', 'string', '0+'),
                field('memberMetadata', 'bytes', '0+'),
                field('memberAssignment', 'bytes', '0+'),
              ),
            ),
            '0+',
          ),
          field('authorizedOperations', 'int32', '3+', { default: OPERATIONS_NOT_REQUESTED }),
        ),
      ),
      '0+',
    ),
  ),
  handle: (req, version, ctx) => ({
    throttleTimeMs: 0,
    groups: req.groups.map((id) => {
      const d = ctx.broker.groups.describe(id);
      if (version >= 6 && d.errorCode === ErrorCode.NONE && d.groupState === 'Dead') {
        return { ...d, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${id} not found.`, authorizedOperations: OPERATIONS_NOT_REQUESTED };
      }
      const withOps = version >= 3 && req.includeAuthorizedOperations && d.errorCode === 0;
      return { ...d, errorMessage: null, authorizedOperations: withOps ? ALL_GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED };
    }),
  }),
  errorResponse: (req, _version, errorCode) => ({
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => ({
      errorCode,
      errorMessage: null,
      groupId,
      groupState: '',
      protocolType: '',
      protocolData: '',
      members: [],
      authorizedOperations: OPERATIONS_NOT_REQUESTED,
    })),
  }),
});
