import type { LogConfig } from './partition-log';

export class TopicConfigError extends Error {
  override readonly name = 'TopicConfigError';
}

/**
 * Settings that mean nothing on a single node with producer-chosen compression
 * and create-time timestamps: accepted with their only meaningful values, so
 * topic definitions written for real Kafka work here unchanged.
 */
const ACCEPTED: Record<string, (v: string) => boolean> = {
  'min.insync.replicas': (v) => /^\d+$/.test(v),
  'unclean.leader.election.enable': (v) => v === 'true' || v === 'false',
  'compression.type': (v) => v === 'producer',
  'message.timestamp.type': (v) => v === 'CreateTime',
  'cleanup.policy': (v) => v === 'delete',
  'max.message.bytes': (v) => /^\d+$/.test(v),
};

function integer(key: string, value: string, min: number): number {
  if (!/^-?\d+$/.test(value) || Number(value) < min) {
    throw new TopicConfigError(`${key} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

/**
 * The log settings of a topic: broker defaults overridden by its configs.
 * Anything the broker would silently not honour (compaction, log-append time)
 * is refused with INVALID_CONFIG rather than accepted and ignored.
 */
export function resolveTopicConfig(defaults: LogConfig, configs: Readonly<Record<string, string>>): LogConfig {
  let { segmentBytes, retentionMs, retentionBytes } = defaults;
  for (const [key, value] of Object.entries(configs)) {
    switch (key) {
      case 'segment.bytes':
        segmentBytes = integer(key, value, 1024);
        break;
      case 'retention.ms':
        retentionMs = integer(key, value, -1);
        break;
      case 'retention.bytes':
        retentionBytes = integer(key, value, -1);
        break;
      default: {
        const ok = ACCEPTED[key];
        if (!ok) throw new TopicConfigError(`topic config ${key} is not supported by this broker`);
        if (!ok(value)) throw new TopicConfigError(`topic config ${key}=${value} is not supported by this broker`);
      }
    }
  }
  return { segmentBytes, retentionMs, retentionBytes };
}
