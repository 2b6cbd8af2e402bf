import { waitFor } from '@orderflow/testing';
import { ConfigResourceTypes, Kafka, logLevel, type Admin } from 'kafkajs';

/** Kafka's `ConfigSource.TOPIC_CONFIG`: a value set on the topic itself, not inherited. */
const TOPIC_OVERRIDE = 1;

/**
 * Sets topic-level configs on `topic` (`max.message.bytes`, `retention.ms`, …) until the
 * returned function resolves, which puts back the overrides the topic had before. Each step
 * returns once the broker describes the topic with the values just set. Real Kafka: the
 * embedded broker has no AlterConfigs.
 *
 * Not every override bites on one node: Kafka 4.4 took acks=all writes to a one-replica topic
 * whose `min.insync.replicas` was 2 (measured), so that one cannot refuse produces here.
 */
export async function overrideTopicConfig(brokers: string[], topic: string, configs: Record<string, string>): Promise<() => Promise<void>> {
  const admin = new Kafka({ clientId: 'test-topic-config', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const before = await describeTopic(admin, topic);
    const kept = [...before.entries()].filter(([, e]) => e.override).map(([name, e]) => ({ name, value: e.value }));
    await alterTopic(admin, topic, [...kept.filter((e) => !(e.name in configs)), ...Object.entries(configs).map(([name, value]) => ({ name, value }))]);
    await untilDescribed(admin, topic, configs);
    return async () => {
      try {
        // AlterConfigs replaces a topic's whole set of overrides: these are the ones it had.
        await alterTopic(admin, topic, kept);
        await untilDescribed(admin, topic, Object.fromEntries(Object.keys(configs).map((name) => [name, before.get(name)?.value ?? ''])));
      } finally {
        await admin.disconnect();
      }
    };
  } catch (err) {
    await admin.disconnect();
    throw err;
  }
}

async function describeTopic(admin: Admin, topic: string): Promise<Map<string, { value: string; override: boolean }>> {
  const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] });
  return new Map((resources[0]?.configEntries ?? []).map((e) => [e.configName, { value: e.configValue, override: e.configSource === TOPIC_OVERRIDE }]));
}

function alterTopic(admin: Admin, topic: string, configEntries: Array<{ name: string; value: string }>): Promise<unknown> {
  return admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries }] });
}

/** The broker applies a change once its metadata log has it: wait until it reports the values. */
async function untilDescribed(admin: Admin, topic: string, wanted: Record<string, string>): Promise<void> {
  await waitFor(
    async () => {
      const now = await describeTopic(admin, topic);
      return Object.entries(wanted).every(([name, value]) => now.get(name)?.value === value);
    },
    { intervalMs: 50, description: `${topic} described with ${JSON.stringify(wanted)}` },
  );
}
