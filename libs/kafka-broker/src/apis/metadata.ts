import { ErrorCode } from '../protocol/error-codes';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { TopicError, TopicManager, type Topic } from '../storage/topic-manager';
import { defineApi, type RequestContext } from './api';
import { OPERATIONS_NOT_REQUESTED } from './authorized-operations';
import { ledBy, type PartitionLeadership } from './partition-leadership';

interface MetadataRequest {
  topics: Array<{ name: string }> | null;
  allowAutoTopicCreation: boolean;
}

interface TopicMetadata {
  errorCode: number;
  name: string;
  isInternal: boolean;
  partitions: PartitionLeadership[];
}

interface MetadataResponse {
  throttleTimeMs: number;
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>;
  clusterId: string | null;
  controllerId: number;
  topics: TopicMetadata[];
}

function describe(topic: Topic, nodeId: number): TopicMetadata {
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    isInternal: false,
    partitions: topic.partitions.map((_, partitionIndex) => ledBy(nodeId, partitionIndex)),
  };
}

function failed(name: string, errorCode: number): TopicMetadata {
  return { errorCode, name, isInternal: false, partitions: [] };
}

/**
 * Metadata v0-v8. One broker leads every partition. Unknown topics are
 * created on the spot when auto-creation is on (and, from v4, the client asks
 * for it), so the very first answer already has their partitions.
 */
export const metadataApi = defineApi<MetadataRequest, MetadataResponse>({
  key: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 8,
  request: message(
    '9+',
    field('topics', arrayOf(struct(field('name', 'string', '0+'))), '0+', { nullable: '1+' }),
    field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
    field('includeClusterAuthorizedOperations', 'bool', '8+'),
    field('includeTopicAuthorizedOperations', 'bool', '8+'),
  ),
  response: message(
    '9+',
    field('throttleTimeMs', 'int32', '3+'),
    field(
      'brokers',
      arrayOf(
        struct(
          field('nodeId', 'int32', '0+'),
          field('host', 'string', '0+'),
          field('port', 'int32', '0+'),
          field('rack', 'string', '1+', { nullable: '1+', default: null }),
        ),
      ),
      '0+',
    ),
    field('clusterId', 'string', '2+', { nullable: '2+', default: null }),
    field('controllerId', 'int32', '1+', { default: -1 }),
    field(
      'topics',
      arrayOf(
        struct(
          field('errorCode', 'int16', '0+'),
          field('name', 'string', '0+'),
          field('isInternal', 'bool', '1+'),
          field(
            'partitions',
            arrayOf(
              struct(
                field('errorCode', 'int16', '0+'),
                field('partitionIndex', 'int32', '0+'),
                field('leaderId', 'int32', '0+'),
                field('leaderEpoch', 'int32', '7+', { default: -1 }),
                field('replicaNodes', arrayOf('int32'), '0+'),
                field('isrNodes', arrayOf('int32'), '0+'),
                field('offlineReplicas', arrayOf('int32'), '5+'),
              ),
            ),
            '0+',
          ),
          field('topicAuthorizedOperations', 'int32', '8+', { default: OPERATIONS_NOT_REQUESTED }),
        ),
      ),
      '0+',
    ),
    field('clusterAuthorizedOperations', 'int32', '8+', { default: OPERATIONS_NOT_REQUESTED }),
  ),
  handle(req, version, ctx) {
    const { broker } = ctx;
    const nodeId = broker.settings.nodeId;
    const all = req.topics === null || (version === 0 && req.topics.length === 0);
    const topics = all
      ? broker.topics.list().map((t) => describe(t, nodeId))
      : req.topics!.map(({ name }) => lookup(name, version < 4 || req.allowAutoTopicCreation, ctx));
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId, host: broker.advertised.host, port: broker.advertised.port, rack: null }],
      clusterId: broker.clusterId,
      controllerId: nodeId,
      topics,
    };
  },
  errorResponse: (req, _version, errorCode) => ({
    throttleTimeMs: 0,
    brokers: [],
    clusterId: null,
    controllerId: -1,
    topics: (req.topics ?? []).map(({ name }) => failed(name, errorCode)),
  }),
});

function lookup(name: string, mayCreate: boolean, ctx: RequestContext): TopicMetadata {
  const { broker } = ctx;
  const existing = broker.topics.get(name);
  if (existing) return describe(existing, broker.settings.nodeId);
  if (!mayCreate || !broker.settings.autoCreateTopics) return failed(name, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  try {
    TopicManager.validateName(name);
    return describe(broker.topics.create(name, broker.settings.defaultPartitions), broker.settings.nodeId);
  } catch (err) {
    if (err instanceof TopicError) return failed(name, err.errorCode);
    throw err;
  }
}
