import { ErrorCode } from '../protocol/error-codes';
import { arrayOf, field, message, struct } from '../protocol/schema';
import type { Topic } from '../storage/topic-manager';
import { defineApi } from './api';
import { OPERATIONS_NOT_REQUESTED } from './authorized-operations';
import { ledBy, type PartitionLeadership } from './partition-leadership';

interface Cursor {
  topicName: string;
  partitionIndex: number;
}

interface DescribeTopicPartitionsRequest {
  topics: Array<{ name: string }>;
  responsePartitionLimit: number;
  cursor: Cursor | null;
}

interface DescribedPartition extends PartitionLeadership {
  eligibleLeaderReplicas: number[] | null;
  lastKnownElr: number[] | null;
}

interface DescribedTopic {
  errorCode: number;
  name: string | null;
  topicId: Buffer;
  isInternal: boolean;
  partitions: DescribedPartition[];
  topicAuthorizedOperations: number;
}

interface DescribeTopicPartitionsResponse {
  throttleTimeMs: number;
  topics: DescribedTopic[];
  nextCursor: Cursor | null;
}

/** Kafka's cap on partitions per answer (max.request.partition.size.limit), whatever the client asks. */
const MAX_PARTITIONS_PER_RESPONSE = 2000;
const ZERO_UUID = Buffer.alloc(16);

const cursorSchema = struct(field('topicName', 'string', '0+'), field('partitionIndex', 'int32', '0+'));

/**
 * DescribeTopicPartitions v0 (KIP-966): what `kafka-topics --describe` asks first since Kafka
 * 3.8, for topic IDs and eligible leader replicas beside the partitions. Without it the tool falls
 * back to Metadata and prints no TopicId and "Elr: N/A". One node leads every partition and is
 * its only replica, so the ELR lists are empty, as Apache Kafka shows them on a healthy node.
 * No topics means every topic, in name order, paged by the cursor as Kafka pages them.
 */
export const describeTopicPartitionsApi = defineApi<DescribeTopicPartitionsRequest, DescribeTopicPartitionsResponse>({
  key: 75,
  name: 'DescribeTopicPartitions',
  minVersion: 0,
  maxVersion: 0,
  request: message(
    '0+',
    field('topics', arrayOf(struct(field('name', 'string', '0+'))), '0+'),
    field('responsePartitionLimit', 'int32', '0+', { default: MAX_PARTITIONS_PER_RESPONSE }),
    field('cursor', cursorSchema, '0+', { nullable: '0+', default: null }),
  ),
  response: message(
    '0+',
    field('throttleTimeMs', 'int32', '0+'),
    field(
      'topics',
      arrayOf(
        struct(
          field('errorCode', 'int16', '0+'),
          field('name', 'string', '0+', { nullable: '0+' }),
          field('topicId', 'uuid', '0+'),
          field('isInternal', 'bool', '0+'),
          field(
            'partitions',
            arrayOf(
              struct(
                field('errorCode', 'int16', '0+'),
                field('partitionIndex', 'int32', '0+'),
                field('leaderId', 'int32', '0+'),
                field('leaderEpoch', 'int32', '0+', { default: -1 }),
                field('replicaNodes', arrayOf('int32'), '0+'),
                field('isrNodes', arrayOf('int32'), '0+'),
                field('eligibleLeaderReplicas', arrayOf('int32'), '0+', { nullable: '0+', default: null }),
                field('lastKnownElr', arrayOf('int32'), '0+', { nullable: '0+', default: null }),
                field('offlineReplicas', arrayOf('int32'), '0+'),
              ),
            ),
            '0+',
          ),
          field('topicAuthorizedOperations', 'int32', '0+', { default: OPERATIONS_NOT_REQUESTED }),
        ),
      ),
      '0+',
    ),
    field('nextCursor', cursorSchema, '0+', { nullable: '0+', default: null }),
  ),
  handle(req, _version, ctx) {
    const { topics, settings } = ctx.broker;
    const all = req.topics.length === 0;
    const names = (all ? topics.list().map((t) => t.name) : [...new Set(req.topics.map((t) => t.name))]).sort();
    const cursor = req.cursor;
    if (cursor !== null && !all && !names.includes(cursor.topicName)) {
      return { throttleTimeMs: 0, topics: names.map((name) => failed(name, ErrorCode.INVALID_REQUEST)), nextCursor: null };
    }
    let budget = Math.max(1, Math.min(req.responsePartitionLimit, MAX_PARTITIONS_PER_RESPONSE));
    const described: DescribedTopic[] = [];
    let nextCursor: Cursor | null = null;
    for (const name of names) {
      if (cursor !== null && name < cursor.topicName) continue;
      const topic = topics.get(name);
      if (!topic) {
        described.push(failed(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      const first = cursor !== null && name === cursor.topicName ? cursor.partitionIndex : 0;
      if (budget === 0) {
        nextCursor = { topicName: name, partitionIndex: first };
        break;
      }
      const last = Math.min(topic.partitions.length, first + budget);
      described.push(describe(topic, first, last, settings.nodeId));
      budget -= last - first;
      if (last < topic.partitions.length) {
        nextCursor = { topicName: name, partitionIndex: last };
        break;
      }
    }
    return { throttleTimeMs: 0, topics: described, nextCursor };
  },
  errorResponse: (req, _version, errorCode) => ({ throttleTimeMs: 0, topics: req.topics.map((t) => failed(t.name, errorCode)), nextCursor: null }),
});

function describe(topic: Topic, first: number, last: number, nodeId: number): DescribedTopic {
  const partitions: DescribedPartition[] = [];
  for (let partitionIndex = first; partitionIndex < last; partitionIndex++) {
    partitions.push({ ...ledBy(nodeId, partitionIndex), eligibleLeaderReplicas: [], lastKnownElr: [] });
  }
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: Buffer.from(topic.id.replace(/-/g, ''), 'hex'),
    isInternal: false,
    partitions,
    topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED,
  };
}

function failed(name: string, errorCode: number): DescribedTopic {
  return { errorCode, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: OPERATIONS_NOT_REQUESTED };
}
