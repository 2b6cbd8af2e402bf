import { Kafka, logLevel } from 'kafkajs';

/** How many records `topic` holds: the sum of its partitions' high watermarks (a test's topic starts empty and is never compacted). */
export async function recordCount(brokers: string[], topic: string): Promise<number> {
  const admin = new Kafka({ clientId: 'test-offsets', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}
