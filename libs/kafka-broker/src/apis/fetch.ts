import { ErrorCode } from '../protocol/error-codes';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { OffsetOutOfRangeError, type PartitionLog } from '../storage/partition-log';
import { defineApi, type RequestContext } from './api';
import { answerEachPartition, byTopicField } from './by-topic';

interface FetchRequest {
  replicaId: number;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; fetchOffset: number; partitionMaxBytes: number }> }>;
}

interface FetchPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: null;
  preferredReadReplica: number;
  records: Buffer;
}

interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: Array<{ topic: string; partitions: FetchPartitionResponse[] }>;
}

const EMPTY = Buffer.alloc(0);

function partitionResponse(partitionIndex: number, errorCode: number, log?: PartitionLog, records: Buffer = EMPTY): FetchPartitionResponse {
  const end = log ? log.logEndOffset : -1;
  return {
    partitionIndex,
    errorCode,
    highWatermark: end,
    lastStableOffset: end,
    logStartOffset: log ? log.logStartOffset : -1,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records,
  };
}

interface Collected {
  response: FetchResponse;
  bytes: number;
  hasError: boolean;
  logs: PartitionLog[];
}

/** One pass over the requested partitions, honouring the response and partition size limits (KIP-74). */
function collect(req: FetchRequest, ctx: RequestContext): Collected {
  let bytes = 0;
  let hasError = false;
  const logs: PartitionLog[] = [];
  const responses = answerEachPartition(req.topics, ({ partition, fetchOffset, partitionMaxBytes }, { topic }) => {
    const log = ctx.broker.topics.partition(topic, partition);
    if (!log) {
      hasError = true;
      return partitionResponse(partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
    logs.push(log);
    const budget = Math.min(partitionMaxBytes, req.maxBytes - bytes);
    if (budget <= 0 && bytes > 0) return partitionResponse(partition, ErrorCode.NONE, log);
    let records: Buffer | null;
    try {
      records = log.read(fetchOffset, Math.max(budget, 1));
    } catch (err) {
      if (!(err instanceof OffsetOutOfRangeError)) throw err;
      hasError = true;
      return partitionResponse(partition, ErrorCode.OFFSET_OUT_OF_RANGE, log);
    }
    // Only the very first batch of a response may exceed the limits.
    if (records === null || (bytes > 0 && records.length > budget)) return partitionResponse(partition, ErrorCode.NONE, log);
    bytes += records.length;
    return partitionResponse(partition, ErrorCode.NONE, log, records);
  });
  return { response: { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses }, bytes, hasError, logs };
}

/** Waits for an append to any of `logs`, the deadline or the connection closing, whichever is first. */
function nextAppend(ctx: RequestContext, logs: readonly PartitionLog[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      cancel();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const cancel = ctx.broker.topics.onNextAppend(logs, done);
    void ctx.closed.then(done);
  });
}

/**
 * Fetch v4-v11 with long polling: the answer goes out as soon as `minBytes`
 * are available or `maxWaitMs` has passed, and immediately on any partition
 * error. Fetch sessions (KIP-227) are not offered: session ID 0 tells clients
 * to send full fetch requests, which every client supports.
 */
export const fetchApi = defineApi<FetchRequest, FetchResponse>({
  key: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 11,
  request: message(
    '12+',
    field('replicaId', 'int32', '0+'),
    field('maxWaitMs', 'int32', '0+'),
    field('minBytes', 'int32', '0+'),
    field('maxBytes', 'int32', '3+', { default: 0x7fffffff }),
    field('isolationLevel', 'int8', '4+'),
    field('sessionId', 'int32', '7+'),
    field('sessionEpoch', 'int32', '7+', { default: -1 }),
    byTopicField(
      'topics',
      [
        field('partition', 'int32', '0+'),
        field('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
        field('fetchOffset', 'int64', '0+'),
        field('logStartOffset', 'int64', '5+', { default: -1 }),
        field('partitionMaxBytes', 'int32', '0+'),
      ],
      { topicField: 'topic' },
    ),
    field('forgottenTopicsData', arrayOf(struct(field('topic', 'string', '7+'), field('partitions', arrayOf('int32'), '7+'))), '7+'),
    field('rackId', 'string', '11+'),
  ),
  response: message(
    '12+',
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '7+'),
    field('sessionId', 'int32', '7+'),
    byTopicField(
      'responses',
      [
        field('partitionIndex', 'int32', '0+'),
        field('errorCode', 'int16', '0+'),
        field('highWatermark', 'int64', '0+'),
        field('lastStableOffset', 'int64', '4+', { default: -1 }),
        field('logStartOffset', 'int64', '5+', { default: -1 }),
        field('abortedTransactions', arrayOf(struct(field('producerId', 'int64', '4+'), field('firstOffset', 'int64', '4+'))), '4+', { nullable: '4+', default: null }),
        field('preferredReadReplica', 'int32', '11+', { default: -1 }),
        field('records', 'records', '0+', { nullable: '0+' }),
      ],
      { topicField: 'topic' },
    ),
  ),
  async handle(req, _version, ctx) {
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    let result = collect(req, ctx);
    let closed = false;
    void ctx.closed.then(() => (closed = true));
    const { fetchesWaiting } = ctx.broker.metrics;
    while (result.bytes < req.minBytes && !result.hasError && !closed) {
      const wait = deadline - Date.now();
      if (wait <= 0) break;
      fetchesWaiting.inc();
      try {
        await nextAppend(ctx, result.logs, wait);
      } finally {
        fetchesWaiting.dec();
      }
      result = collect(req, ctx);
    }
    return result.response;
  },
  errorResponse: (req, _version, errorCode) => ({
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    sessionId: 0,
    responses: answerEachPartition(req.topics, (p) => partitionResponse(p.partition, errorCode)),
  }),
});
