import type { LogConfig } from './partition-log';

/** Where a config value comes from: Kafka's ConfigSource IDs, as DescribeConfigs v1+ reports them. */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** Kafka's ConfigType IDs (DescribeConfigs v3+). */
const ConfigType = { BOOLEAN: 1, STRING: 2, INT: 3, LONG: 5, LIST: 7 } as const;

export interface ConfigSynonym {
  readonly name: string;
  readonly value: string;
  readonly source: number;
}

export interface ConfigEntry extends ConfigSynonym {
  readonly type: number;
  /** Where the value could come from, highest precedence first: Kafka's synonyms (DescribeConfigs v1+). */
  readonly synonyms: readonly ConfigSynonym[];
}

interface Known {
  readonly type: number;
  readonly brokerName: string;
  /** Apache Kafka's own default, so a value equal to it is reported as DEFAULT_CONFIG as Kafka would. */
  readonly kafkaDefault: string;
  /** This broker's setting for every topic without an override. */
  readonly brokerValue: (defaults: LogConfig, maxMessageBytes: number) => string;
}

/**
 * The topic configs this broker describes: the ones it honours (segment and retention) and the
 * ones it accepts with their only meaningful value (see topic-config.ts), each under the name of
 * the broker setting Kafka derives it from.
 */
const KNOWN: Readonly<Record<string, Known>> = {
  'cleanup.policy': { type: ConfigType.LIST, brokerName: 'log.cleanup.policy', kafkaDefault: 'delete', brokerValue: () => 'delete' },
  'compression.type': { type: ConfigType.STRING, brokerName: 'compression.type', kafkaDefault: 'producer', brokerValue: () => 'producer' },
  'max.message.bytes': { type: ConfigType.INT, brokerName: 'message.max.bytes', kafkaDefault: '1048588', brokerValue: (_d, max) => String(max) },
  'message.timestamp.type': {
    type: ConfigType.STRING,
    brokerName: 'log.message.timestamp.type',
    kafkaDefault: 'CreateTime',
    brokerValue: () => 'CreateTime',
  },
  'min.insync.replicas': { type: ConfigType.INT, brokerName: 'min.insync.replicas', kafkaDefault: '1', brokerValue: () => '1' },
  'retention.bytes': { type: ConfigType.LONG, brokerName: 'log.retention.bytes', kafkaDefault: '-1', brokerValue: (d) => String(d.retentionBytes) },
  'retention.ms': { type: ConfigType.LONG, brokerName: 'log.retention.ms', kafkaDefault: '604800000', brokerValue: (d) => String(d.retentionMs) },
  'segment.bytes': { type: ConfigType.INT, brokerName: 'log.segment.bytes', kafkaDefault: '1073741824', brokerValue: (d) => String(d.segmentBytes) },
  'unclean.leader.election.enable': {
    type: ConfigType.BOOLEAN,
    brokerName: 'unclean.leader.election.enable',
    kafkaDefault: 'false',
    brokerValue: () => 'false',
  },
};

/**
 * A topic's configs as DescribeConfigs reports them: its own overrides as DYNAMIC_TOPIC_CONFIG,
 * everything else from the broker's settings, as DEFAULT_CONFIG where that equals Apache Kafka's
 * default and as STATIC_BROKER_CONFIG where this broker differs (its 64 MiB segments), so
 * `kafka-topics --describe`, which lists what is not a default, shows that difference.
 */
export function topicConfigEntries(configs: Readonly<Record<string, string>>, defaults: LogConfig, maxMessageBytes: number): ConfigEntry[] {
  return Object.entries(KNOWN).map(([name, known]) => {
    const brokerValue = known.brokerValue(defaults, maxMessageBytes);
    const brokerSource = brokerValue === known.kafkaDefault ? ConfigSource.DEFAULT_CONFIG : ConfigSource.STATIC_BROKER_CONFIG;
    const synonyms: ConfigSynonym[] = [{ name: known.brokerName, value: brokerValue, source: brokerSource }];
    if (brokerSource !== ConfigSource.DEFAULT_CONFIG) synonyms.push({ name: known.brokerName, value: known.kafkaDefault, source: ConfigSource.DEFAULT_CONFIG });
    const own = configs[name];
    if (own === undefined) return { name, value: brokerValue, source: brokerSource, type: known.type, synonyms };
    return { name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG, type: known.type, synonyms: [{ name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG }, ...synonyms] };
  });
}
