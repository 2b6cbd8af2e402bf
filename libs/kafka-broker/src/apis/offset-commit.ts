import type { PartitionOffset } from '../groups/offset-committer';
import { ErrorCode } from '../protocol/error-codes';
import { field, message } from '../protocol/schema';
import { defineApi, type RequestContext } from './api';
import { answerEachPartition, byTopicField, type ByTopic } from './by-topic';

interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: number;
  topics: ByTopic<{
    partitionIndex: number;
    committedOffset: number;
    committedLeaderEpoch: number;
    commitTimestamp: number;
    committedMetadata: string | null;
  }>;
}

interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: ByTopic<{ partitionIndex: number; errorCode: number }>;
}

/**
 * OffsetCommit v2-v7. Partitions of unknown topics fail alone with
 * UNKNOWN_TOPIC_OR_PARTITION before the group is even looked at (Kafka
 * filters them in KafkaApis); the rest are validated against the group's
 * member and generation and answered only once durable. Retention times
 * (v2-v4) are accepted and ignored: offsets here never expire.
 */
export const offsetCommitApi = defineApi<OffsetCommitRequest, OffsetCommitResponse>({
  key: 8,
  name: 'OffsetCommit',
  minVersion: 2,
  maxVersion: 7,
  request: message(
    '8+',
    field('groupId', 'string', '0+'),
    field('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
    field('memberId', 'string', '1+'),
    field('groupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
    field('retentionTimeMs', 'int64', '2-4', { default: -1 }),
    byTopicField('topics', [
      field('partitionIndex', 'int32', '0+'),
      field('committedOffset', 'int64', '0+'),
      field('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
      field('commitTimestamp', 'int64', '1', { default: -1 }),
      field('committedMetadata', 'string', '0+', { nullable: '0+' }),
    ]),
  ),
  response: message(
    '8+',
    field('throttleTimeMs', 'int32', '3+'),
    byTopicField('topics', [field('partitionIndex', 'int32', '0+'), field('errorCode', 'int16', '0+')]),
  ),
  handle: (req, _version, ctx) => commit(req, ctx),
  errorResponse: (req, _version, errorCode) => respond(req, () => errorCode),
});

async function commit(req: OffsetCommitRequest, ctx: RequestContext): Promise<OffsetCommitResponse> {
  const key = (topic: string, partition: number): string => `${partition}:${topic}`;
  const codes = new Map<string, number>();
  const known: PartitionOffset[] = [];
  for (const t of req.topics) {
    for (const p of t.partitions) {
      if (ctx.broker.topics.partition(t.name, p.partitionIndex) === undefined) {
        codes.set(key(t.name, p.partitionIndex), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      } else {
        known.push({
          topic: t.name,
          partition: p.partitionIndex,
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata: p.committedMetadata,
        });
      }
    }
  }
  if (known.length > 0) {
    const results = await ctx.broker.groups.commitOffsets({
      groupId: req.groupId,
      memberId: req.memberId,
      generationId: req.generationIdOrMemberEpoch,
      groupInstanceId: req.groupInstanceId,
      offsets: known,
    });
    known.forEach((o, i) => codes.set(key(o.topic, o.partition), results[i]!));
  }
  return respond(req, (topic, partition) => codes.get(key(topic, partition)) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
}

function respond(req: OffsetCommitRequest, code: (topic: string, partition: number) => number): OffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: answerEachPartition(req.topics, ({ partitionIndex }, { name }) => ({ partitionIndex, errorCode: code(name, partitionIndex) })),
  };
}
