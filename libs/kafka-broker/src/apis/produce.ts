import { ErrorCode } from '../protocol/error-codes';
import { isTransactional, parseProducedBatches, RecordBatchError } from '../protocol/record-batch';
import { arrayOf, field, message, struct } from '../protocol/schema';
import type { PartitionLog } from '../storage/partition-log';
import { defineApi, type RequestContext } from './api';
import { answerEachPartition, byTopicField, type ByTopic } from './by-topic';

interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: ByTopic<{ partitionIndex: number; records: Buffer | null }>;
}

interface PartitionResult {
  partitionIndex: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }>;
  errorMessage: string | null;
}

interface ProduceResponse {
  responses: ByTopic<PartitionResult>;
  throttleTimeMs: number;
}

function result(partitionIndex: number, errorCode: number, errorMessage: string | null, log?: PartitionLog, baseOffset = -1): PartitionResult {
  return {
    partitionIndex,
    errorCode,
    baseOffset,
    logAppendTimeMs: -1,
    logStartOffset: log ? log.logStartOffset : -1,
    recordErrors: [],
    errorMessage,
  };
}

function appendPartition(
  ctx: RequestContext,
  topic: string,
  partitionIndex: number,
  records: Buffer | null,
  touched: Set<PartitionLog>,
): PartitionResult {
  const { broker } = ctx;
  const log = broker.topics.partition(topic, partitionIndex);
  if (!log) return result(partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic or partition ${topic}-${partitionIndex}`);
  if (records === null || records.length === 0) return result(partitionIndex, ErrorCode.INVALID_RECORD, 'no records', log);
  if (records.length > broker.settings.maxMessageBytes) {
    return result(partitionIndex, ErrorCode.MESSAGE_TOO_LARGE, `record set of ${records.length} bytes exceeds ${broker.settings.maxMessageBytes}`, log);
  }
  let batches;
  try {
    batches = parseProducedBatches(records);
  } catch (err) {
    if (!(err instanceof RecordBatchError)) throw err;
    broker.logger.warn({ topic, partition: partitionIndex, client: ctx.clientId, reason: err.message }, 'rejected produced records');
    return result(partitionIndex, err.errorCode, err.message, log);
  }
  if (batches.some((b) => isTransactional(b.attributes))) {
    return result(partitionIndex, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactions are not supported by this broker', log);
  }
  const appended = log.append(records, batches);
  if (!appended.ok) return result(partitionIndex, appended.errorCode, appended.message, log);
  if (appended.appended > 0) {
    touched.add(log);
    broker.metrics.producedRecords.inc({ topic }, appended.appended);
  }
  return result(partitionIndex, ErrorCode.NONE, null, log, appended.baseOffset);
}

/**
 * Produce v3-v8 (record batch v2 only, as Kafka 4 requires). Each partition's
 * record set is validated whole (sizes, CRC, magic) and appended whole or not
 * at all. With acks=-1 the answer waits until the data is fsynced, so a power
 * loss after the acknowledgement loses nothing; acks=1 answers after the write
 * reached the OS, which already survives a kill -9 of the broker.
 */
export const produceApi = defineApi<ProduceRequest, ProduceResponse>({
  key: 0,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 8,
  request: message(
    '9+',
    field('transactionalId', 'string', '3+', { nullable: '0+', default: null }),
    field('acks', 'int16', '0+'),
    field('timeoutMs', 'int32', '0+'),
    byTopicField('topics', [field('partitionIndex', 'int32', '0+'), field('records', 'records', '0+', { nullable: '0+' })]),
  ),
  response: message(
    '9+',
    byTopicField('responses', [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('baseOffset', 'int64', '0+'),
      field('logAppendTimeMs', 'int64', '2+', { default: -1 }),
      field('logStartOffset', 'int64', '5+', { default: -1 }),
      field(
        'recordErrors',
        arrayOf(struct(field('batchIndex', 'int32', '8+'), field('batchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null }))),
        '8+',
      ),
      field('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
    ]),
    field('throttleTimeMs', 'int32', '1+'),
  ),
  pipelined: true,
  expectsNoResponse: (req) => req.acks === 0,
  async handle(req, _version, ctx) {
    if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
      return produceError(req, ErrorCode.INVALID_REQUIRED_ACKS, `acks must be 0, 1 or -1, got ${req.acks}`);
    }
    if (req.transactionalId !== null) {
      return produceError(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, 'transactions are not supported by this broker');
    }
    const touched = new Set<PartitionLog>();
    const responses = answerEachPartition(req.topics, (p, { name }) => appendPartition(ctx, name, p.partitionIndex, p.records, touched));
    if (req.acks === -1 && touched.size > 0) {
      const timer = ctx.broker.metrics.fsyncDuration.startTimer();
      await Promise.all([...touched].map((log) => log.sync()));
      timer();
    }
    return { responses, throttleTimeMs: 0 };
  },
  errorResponse: (req, _version, errorCode) => produceError(req, errorCode, null),
});

function produceError(req: ProduceRequest, errorCode: number, msg: string | null): ProduceResponse {
  return {
    responses: answerEachPartition(req.topics, (p) => result(p.partitionIndex, errorCode, msg)),
    throttleTimeMs: 0,
  };
}
