import { ErrorCode } from '../protocol/error-codes';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { TopicError } from '../storage/topic-manager';
import { defineApi, type RequestContext } from './api';

interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
  configs: Array<{ name: string; value: string | null }>;
}

interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: Array<{ name: string; errorCode: number; errorMessage: string | null }>;
}

function createOne(t: CreatableTopic, validateOnly: boolean, ctx: RequestContext): { errorCode: number; errorMessage: string | null } {
  const { topics, settings } = ctx.broker;
  const nodeId = settings.nodeId;
  if (t.assignments.length > 0 && t.numPartitions !== -1) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'give either numPartitions or assignments, not both' };
  }
  if (t.assignments.some((a) => a.brokerIds.length !== 1 || a.brokerIds[0] !== nodeId)) {
    return { errorCode: ErrorCode.INVALID_REPLICATION_FACTOR, errorMessage: `this single-node cluster has only broker ${nodeId}` };
  }
  if (t.replicationFactor !== -1 && t.replicationFactor !== 1 && t.assignments.length === 0) {
    return {
      errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
      errorMessage: `replication factor ${t.replicationFactor} is larger than the 1 available broker`,
    };
  }
  const partitions = t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? settings.defaultPartitions : t.numPartitions;
  const configs: Record<string, string> = {};
  for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
  try {
    if (validateOnly) topics.check(t.name, partitions, configs);
    else topics.create(t.name, partitions, configs);
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  } catch (err) {
    if (err instanceof TopicError) return { errorCode: err.errorCode, errorMessage: err.message };
    throw err;
  }
}

/** CreateTopics v0-v4 (v4: -1 partitions or replication factor means the broker default). */
export const createTopicsApi = defineApi<CreateTopicsRequest, CreateTopicsResponse>({
  key: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 4,
  request: message(
    '5+',
    field(
      'topics',
      arrayOf(
        struct(
          field('name', 'string', '0+'),
          field('numPartitions', 'int32', '0+'),
          field('replicationFactor', 'int16', '0+'),
          field('assignments', arrayOf(struct(field('partitionIndex', 'int32', '0+'), field('brokerIds', arrayOf('int32'), '0+'))), '0+'),
          field('configs', arrayOf(struct(field('name', 'string', '0+'), field('value', 'string', '0+', { nullable: '0+' }))), '0+'),
        ),
      ),
      '0+',
    ),
    field('timeoutMs', 'int32', '0+', { default: 60000 }),
    field('validateOnly', 'bool', '1+'),
  ),
  response: message(
    '5+',
    field('throttleTimeMs', 'int32', '2+'),
    field(
      'topics',
      arrayOf(
        struct(
          field('name', 'string', '0+'),
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '1+', { nullable: '0+', default: null }),
        ),
      ),
      '0+',
    ),
  ),
  handle(req, _version, ctx) {
    const seen = new Set<string>();
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        if (seen.has(t.name)) {
          return { name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `topic ${t.name} appears twice in the request` };
        }
        seen.add(t.name);
        return { name: t.name, ...createOne(t, req.validateOnly, ctx) };
      }),
    };
  },
  errorResponse: (req, _version, errorCode) => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, errorCode, errorMessage: null })),
  }),
});
