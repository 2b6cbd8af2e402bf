import { ErrorCode } from '../protocol/error-codes';
import { arrayOf, field, message } from '../protocol/schema';
import type { PartitionLog } from '../storage/partition-log';
import { defineApi } from './api';
import { answerEachPartition, byTopicField, type ByTopic } from './by-topic';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;

interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: ByTopic<{ partitionIndex: number; timestamp: number }>;
}

interface PartitionOffsets {
  partitionIndex: number;
  errorCode: number;
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: ByTopic<PartitionOffsets>;
}

function lookup(log: PartitionLog, timestamp: number): { offset: number; timestamp: number } {
  switch (timestamp) {
    case LATEST:
      return { offset: log.logEndOffset, timestamp: -1 };
    case EARLIEST:
      return { offset: log.logStartOffset, timestamp: -1 };
    case MAX_TIMESTAMP:
      return log.maxTimestamp() ?? { offset: -1, timestamp: -1 };
    default:
      // No record at or after the time: -1/-1, as Kafka answers.
      return log.offsetForTimestamp(timestamp) ?? { offset: -1, timestamp: -1 };
  }
}

/**
 * ListOffsets v1-v5: earliest (-2), latest (-1), the newest timestamp (-3) and
 * the first offset whose record timestamp is at or after a given time, which
 * is what replay "from an hour ago" resolves through.
 */
export const listOffsetsApi = defineApi<ListOffsetsRequest, ListOffsetsResponse>({
  key: 2,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 5,
  request: message(
    '6+',
    field('replicaId', 'int32', '0+'),
    field('isolationLevel', 'int8', '2+'),
    byTopicField('topics', [
      field('partitionIndex', 'int32', '0+'),
      field('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
      field('timestamp', 'int64', '0+'),
      field('maxNumOffsets', 'int32', '0', { default: 1 }),
    ]),
  ),
  response: message(
    '6+',
    field('throttleTimeMs', 'int32', '2+'),
    byTopicField('topics', [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('oldStyleOffsets', arrayOf('int64'), '0'),
      field('timestamp', 'int64', '1+', { default: -1 }),
      field('offset', 'int64', '1+', { default: -1 }),
      field('leaderEpoch', 'int32', '4+', { default: -1 }),
    ]),
  ),
  handle: (req, _version, ctx) => ({
    throttleTimeMs: 0,
    topics: answerEachPartition(req.topics, ({ partitionIndex, timestamp }, { name }): PartitionOffsets => {
      const log = ctx.broker.topics.partition(name, partitionIndex);
      if (!log) return failed(partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const found = lookup(log, timestamp);
      return { partitionIndex, errorCode: ErrorCode.NONE, ...found, leaderEpoch: found.offset >= 0 ? 0 : -1 };
    }),
  }),
  errorResponse: (req, _version, errorCode) => ({
    throttleTimeMs: 0,
    topics: answerEachPartition(req.topics, (p) => failed(p.partitionIndex, errorCode)),
  }),
});

function failed(partitionIndex: number, errorCode: number): PartitionOffsets {
  return { partitionIndex, errorCode, timestamp: -1, offset: -1, leaderEpoch: -1 };
}
