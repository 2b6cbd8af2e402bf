import type { OffsetFetchResult } from '../groups/results';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { defineApi } from './api';
import { byTopicField, type ByTopic } from './by-topic';

interface OffsetFetchRequest {
  groupId: string;
  /** Null (v2+) asks for every partition the group has committed. */
  topics: Array<{ name: string; partitionIndexes: number[] }> | null;
}

interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: ByTopic<{
    partitionIndex: number;
    committedOffset: number;
    committedLeaderEpoch: number;
    metadata: string | null;
    errorCode: number;
  }>;
  errorCode: number;
}

/**
 * OffsetFetch v1-v5. Uncommitted partitions come back as offset -1 with no
 * error. Group-level errors go in the top-level errorCode from v2 on; v1 has
 * none, so, as Kafka's getErrorResponse does, each requested partition
 * carries the error instead.
 */
export const offsetFetchApi = defineApi<OffsetFetchRequest, OffsetFetchResponse>({
  key: 9,
  name: 'OffsetFetch',
  minVersion: 1,
  maxVersion: 5,
  request: message(
    '6+',
    field('groupId', 'string', '0-7'),
    field(
      'topics',
      arrayOf(struct(field('name', 'string', '0-7'), field('partitionIndexes', arrayOf('int32'), '0-7'))),
      '0-7',
      { nullable: '2-7' },
    ),
  ),
  response: message(
    '6+',
    field('throttleTimeMs', 'int32', '3+'),
    byTopicField(
      'topics',
      [
        field('partitionIndex', 'int32', '0-7'),
        field('committedOffset', 'int64', '0-7'),
        field('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
        field('metadata', 'string', '0-7', { nullable: '0-7' }),
        field('errorCode', 'int16', '0-7'),
      ],
      { versions: '0-7' },
    ),
    field('errorCode', 'int16', '2-7', { default: 0 }),
  ),
  handle: (req, version, ctx) => toResponse(req, version, ctx.broker.groups.fetchOffsets(req.groupId, req.topics)),
  errorResponse: (req, version, errorCode) => toResponse(req, version, { errorCode, topics: [] }),
});

function toResponse(req: OffsetFetchRequest, version: number, r: OffsetFetchResult): OffsetFetchResponse {
  if (r.errorCode !== 0 && version < 2) {
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      topics: (req.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({
          partitionIndex,
          committedOffset: -1,
          committedLeaderEpoch: -1,
          metadata: '',
          errorCode: r.errorCode,
        })),
      })),
    };
  }
  return { throttleTimeMs: 0, errorCode: r.errorCode, topics: r.topics.map((t) => ({ name: t.name, partitions: [...t.partitions] })) };
}
