import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { tempDir, uniqueName, waitFor } from '@orderflow/testing';
import { startBrokerProcess } from './broker-process';
import { collect, kafkaFor, startTestBroker } from './support';

function clientFor(bootstrap: string): Kafka {
  return new Kafka({
    clientId: 'durability',
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 },
  });
}

async function highWatermarks(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((n, o) => n + Number(o.high), 0);
}

/** Reads a whole topic with a fresh group and returns the values. */
async function readAll(kafka: Kafka, topic: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  const got = await collect(consumer, topic);
  await waitFor(() => got.length >= expected, { timeoutMs: 30_000, description: `${expected} messages` });
  await consumer.disconnect();
  return got.map((m) => m.value!);
}

describe('durability', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => (dir = tempDir('orderflow-kafka-data-')));
  afterEach(() => dir.remove());

  it('keeps topics, messages and committed offsets across a clean restart', async () => {
    const topic = uniqueName('restart');
    const groupId = uniqueName('group');
    let broker = await startTestBroker({ dataDir: dir.path });
    let kafka = kafkaFor(broker);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 90 }, (_, i) => ({ key: `k${i % 9}`, value: `m${i}` })) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await consumer.connect();
    const seen = await collect(consumer, topic);
    await waitFor(() => seen.length === 90, { description: 'the first 90 messages' });
    await consumer.disconnect(); // commits what it processed
    await broker.stop();

    broker = await startTestBroker({ dataDir: dir.path });
    kafka = kafkaFor(broker);
    expect(broker.topics()).toContainEqual({ name: topic, partitions: 3 });
    expect(await highWatermarks(kafka, topic)).toBe(90);
    const admin = kafka.admin();
    await admin.connect();
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(committed[0]!.partitions.reduce((n, p) => n + Number(p.offset), 0)).toBe(90);
    await admin.disconnect();

    // The group resumes after its committed offsets: only new messages arrive.
    const again = kafka.producer();
    await again.connect();
    await again.send({ topic, acks: -1, messages: [{ key: 'k1', value: 'after restart' }] });
    await again.disconnect();
    const resumed = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await resumed.connect();
    const more = await collect(resumed, topic);
    await waitFor(() => more.length === 1, { description: 'the message produced after the restart' });
    expect(more[0]!.value).toBe('after restart');
    await resumed.disconnect();
    expect((await readAll(kafka, topic, 91)).sort()).toEqual([...Array.from({ length: 90 }, (_, i) => `m${i}`), 'after restart'].sort());
    await broker.stop();
  });

  it('loses no acknowledged write and no committed offset when killed with SIGKILL mid-stream', async () => {
    const topic = uniqueName('kill9');
    const groupId = uniqueName('committed');
    const first = await startBrokerProcess(['--data-dir', dir.path, '--log-level', 'warn']);
    const kafka = clientFor(first.bootstrap);

    // A group commits an offset, durably, before the crash.
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const seedProducer = kafka.producer();
    await seedProducer.connect();
    await seedProducer.send({ topic, acks: -1, messages: [{ key: 'seed', value: 'seed' }] });
    await seedProducer.disconnect();
    const committer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
    await committer.connect();
    const seeded = await collect(committer, topic);
    await waitFor(() => seeded.length === 1, { description: 'the seed message' });
    await committer.disconnect();
    const before = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();

    // Several producers write as fast as they can; each remembers what was acknowledged.
    const acknowledged = new Set<string>(['seed']);
    let stop = false;
    const producers: Producer[] = [];
    const writers = Array.from({ length: 4 }, async (_, w) => {
      const producer = kafka.producer({ retry: { retries: 0 } });
      producers.push(producer);
      await producer.connect();
      for (let batch = 0; !stop; batch++) {
        const values = Array.from({ length: 20 }, (_, i) => `w${w}-b${batch}-${i}`);
        try {
          await producer.send({ topic, acks: -1, messages: values.map((value, k) => ({ key: `w${w}-k${k % 5}`, value })) });
          values.forEach((v) => acknowledged.add(v));
        } catch {
          return; // the broker is gone; this batch was never acknowledged
        }
      }
    });
    await waitFor(() => acknowledged.size >= 2000, { timeoutMs: 30_000, description: '2000 acknowledged writes' });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await Promise.all(producers.map((p) => p.disconnect()));

    const second = await startBrokerProcess(['--data-dir', dir.path, '--log-level', 'info']);
    expect(second.output()).toMatch(/"checkedCrc":true/);
    const after = clientFor(second.bootstrap);
    const total = await highWatermarks(after, topic);
    expect(total).toBeGreaterThanOrEqual(acknowledged.size);
    const stored = await readAll(after, topic, total);
    expect(stored).toHaveLength(total);
    const storedSet = new Set(stored);
    const lost = [...acknowledged].filter((v) => !storedSet.has(v));
    expect(lost).toEqual([]);
    expect(storedSet.size).toBe(stored.length); // nothing stored twice

    const afterAdmin = after.admin();
    await afterAdmin.connect();
    expect(await afterAdmin.fetchOffsets({ groupId, topics: [topic] })).toEqual(before);
    await afterAdmin.disconnect();
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('takes over a lock whose PID now belongs to another process (a PID reused after a reboot)', async () => {
    // A live process (this one's parent), but started at another time than the lock records.
    writeFileSync(join(dir.path, '.lock'), `${process.ppid} 1\n`);
    const broker = await startTestBroker({ dataDir: dir.path });
    expect(readFileSync(join(dir.path, '.lock'), 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+\n$`));
    await broker.stop();
  });

  it('refuses a second broker on the same data directory', async () => {
    const broker = await startTestBroker({ dataDir: dir.path });
    await expect(startTestBroker({ dataDir: dir.path })).rejects.toThrow(/already used|in use/);
    await broker.stop();
    const again = await startTestBroker({ dataDir: dir.path });
    await again.stop();
  });
});
