import { ErrorCode } from '../protocol/error-codes';
import { arrayOf, field, message, struct } from '../protocol/schema';
import { topicConfigEntries } from '../storage/topic-config-entries';
import { defineApi, type RequestContext } from './api';

interface DescribeConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configurationKeys: string[] | null }>;
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: Array<{ name: string; value: string | null; source: number }>;
  configType: number;
  documentation: string | null;
}

interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribedConfig[];
}

interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}

/** Kafka's ConfigResource.Type ID of a topic. */
const TOPIC = 2;

/**
 * DescribeConfigs v1-v4 (Kafka 4 dropped v0), for topics: what `kafka-topics --describe` (and any
 * admin client's describeConfigs) reads after the partitions. Other resources (brokers, groups, loggers) fail
 * alone with INVALID_REQUEST: this broker has no dynamic settings to show.
 */
export const describeConfigsApi = defineApi<DescribeConfigsRequest, DescribeConfigsResponse>({
  key: 32,
  name: 'DescribeConfigs',
  minVersion: 1,
  maxVersion: 4,
  request: message(
    '4+',
    field(
      'resources',
      arrayOf(
        struct(
          field('resourceType', 'int8', '0+'),
          field('resourceName', 'string', '0+'),
          field('configurationKeys', arrayOf('string'), '0+', { nullable: '0+' }),
        ),
      ),
      '0+',
    ),
    field('includeSynonyms', 'bool', '1+'),
    field('includeDocumentation', 'bool', '3+'),
  ),
  response: message(
    '4+',
    field('throttleTimeMs', 'int32', '0+'),
    field(
      'results',
      arrayOf(
        struct(
          field('errorCode', 'int16', '0+'),
          field('errorMessage', 'string', '0+', { nullable: '0+' }),
          field('resourceType', 'int8', '0+'),
          field('resourceName', 'string', '0+'),
          field(
            'configs',
            arrayOf(
              struct(
                field('name', 'string', '0+'),
                field('value', 'string', '0+', { nullable: '0+' }),
                field('readOnly', 'bool', '0+'),
                field('configSource', 'int8', '1+', { default: -1 }),
                field('isSensitive', 'bool', '0+'),
                field(
                  'synonyms',
                  arrayOf(struct(field('name', 'string', '1+'), field('value', 'string', '1+', { nullable: '1+' }), field('source', 'int8', '1+'))),
                  '1+',
                ),
                field('configType', 'int8', '3+', { default: 0 }),
                field('documentation', 'string', '3+', { nullable: '0+', default: null }),
              ),
            ),
            '0+',
          ),
        ),
      ),
      '0+',
    ),
  ),
  handle: (req, _version, ctx) => ({ throttleTimeMs: 0, results: req.resources.map((r) => describeResource(r, req.includeSynonyms, ctx)) }),
  errorResponse: (req, _version, errorCode) => ({
    throttleTimeMs: 0,
    results: req.resources.map((r) => ({ errorCode, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })),
  }),
});

function describeResource(
  resource: DescribeConfigsRequest['resources'][number],
  includeSynonyms: boolean,
  ctx: RequestContext,
): DescribeConfigsResult {
  const { resourceType, resourceName } = resource;
  const result = (errorCode: number, errorMessage: string | null, configs: DescribedConfig[] = []): DescribeConfigsResult => ({
    errorCode,
    errorMessage,
    resourceType,
    resourceName,
    configs,
  });
  if (resourceType !== TOPIC) return result(ErrorCode.INVALID_REQUEST, `this broker describes the configs of topics only, not of resource type ${resourceType}`);
  const { topics, settings } = ctx.broker;
  const topic = topics.get(resourceName);
  if (!topic) return result(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `topic ${resourceName} does not exist`);
  // No keys and an empty list both mean every config, as in Kafka (kafkajs sends an empty list).
  const keys = resource.configurationKeys;
  const wanted = keys === null || keys.length === 0 ? null : new Set(keys);
  const configs = topicConfigEntries(topic.configs, topics.defaultLogConfig, settings.maxMessageBytes)
    .filter((e) => wanted === null || wanted.has(e.name))
    .map((e) => ({
      name: e.name,
      value: e.value,
      readOnly: false,
      configSource: e.source,
      isSensitive: false,
      synonyms: includeSynonyms ? [...e.synonyms] : [],
      configType: e.type,
      documentation: null,
    }));
  return result(ErrorCode.NONE, null, configs);
}
