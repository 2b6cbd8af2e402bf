import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';
import { uniqueName, waitFor } from '@orderflow/testing';
import type { RunningBroker } from '../src';
import { collect, kafkaFor, startTestBroker } from './support';

describe('produce and consume with kafkajs over TCP', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let producer: Producer;

  beforeAll(async () => {
    broker = await startTestBroker();
    kafka = kafkaFor(broker);
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    await producer.disconnect();
    await broker.stop();
  });

  it('auto-creates topics with the default partition count', async () => {
    const topic = uniqueName('auto');
    await producer.send({ topic, messages: [{ value: 'x' }] });
    expect(broker.topics().find((t) => t.name === topic)?.partitions).toBe(3);
  });

  it('puts each keyed message on the partition the default partitioner picks', async () => {
    const topic = uniqueName('keyed');
    const keys = Array.from({ length: 60 }, (_, i) => `order-${i}`);
    await producer.send({ topic, messages: keys.map((key) => ({ key, value: `v-${key}` })) });

    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
    const expected = new Map(keys.map((key) => [key, partitioner({ topic, partitionMetadata, message: { key, value: '' } })]));

    const consumer = kafka.consumer({ groupId: uniqueName('g'), maxWaitTimeInMs: 250 });
    await consumer.connect();
    const got = await collect(consumer, topic);
    await waitFor(() => got.length === keys.length, { description: 'all keyed messages' });
    await consumer.disconnect();

    for (const m of got) expect(m.partition).toBe(expected.get(m.key!));
    expect(new Set(got.map((m) => m.partition)).size).toBe(3);
    // Within a partition, offsets are contiguous from 0 and in send order.
    for (const p of [0, 1, 2]) {
      const inP = got.filter((m) => m.partition === p);
      expect(inP.map((m) => m.offset)).toEqual(inP.map((_, i) => i));
      expect(inP.map((m) => m.key)).toEqual(keys.filter((k) => expected.get(k) === p));
    }
  });

  it('consumes from the beginning or only what arrives after joining (latest)', async () => {
    const topic = uniqueName('latest');
    await producer.send({ topic, messages: [{ key: 'k', value: 'before' }] });

    const fromStart = kafka.consumer({ groupId: uniqueName('start'), maxWaitTimeInMs: 250 });
    const fromLatest = kafka.consumer({ groupId: uniqueName('latest'), maxWaitTimeInMs: 100 });
    await Promise.all([fromStart.connect(), fromLatest.connect()]);
    const early = await collect(fromStart, topic, true);
    // A completed fetch means the latest consumer has resolved its starting offset.
    let latestFetched = false;
    fromLatest.on(fromLatest.events.FETCH, () => (latestFetched = true));
    const late = await collect(fromLatest, topic, false);
    await waitFor(() => early.length === 1 && latestFetched, { description: 'both consumers running' });

    await producer.send({ topic, messages: [{ key: 'k', value: 'after' }] });
    await waitFor(() => early.length === 2 && late.length === 1, { description: 'the second message in both' });
    expect(early.map((m) => m.value)).toEqual(['before', 'after']);
    expect(late.map((m) => m.value)).toEqual(['after']);
    await Promise.all([fromStart.disconnect(), fromLatest.disconnect()]);
  });

  it.each([
    ['acks=0', 0],
    ['acks=1', 1],
    ['acks=all', -1],
  ])('accepts %s and the records can be read back', async (_name, acks) => {
    const topic = uniqueName('acks');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    await producer.send({ topic, acks, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
    await waitFor(async () => (await admin.fetchTopicOffsets(topic))[0]?.high === '10', { description: 'high watermark 10' });
    await admin.disconnect();
  });

  it('stores gzip batches untouched and serves them back decompressible', async () => {
    const topic = uniqueName('gzip');
    const values = Array.from({ length: 50 }, (_, i) => `compressible ${'x'.repeat(200)} ${i}`);
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: values.map((value) => ({ key: 'one', value })) });
    const consumer = kafka.consumer({ groupId: uniqueName('gz'), maxWaitTimeInMs: 250 });
    await consumer.connect();
    const got = await collect(consumer, topic);
    await waitFor(() => got.length === values.length, { description: 'all gzip messages' });
    expect(got.map((m) => m.value)).toEqual(values);
    expect(got.map((m) => m.offset)).toEqual(values.map((_, i) => i));
    await consumer.disconnect();
  });

  it('answers a long-poll fetch as soon as data arrives, not at maxWaitTime', async () => {
    const topic = uniqueName('longpoll');
    await producer.send({ topic, messages: [{ key: 'k', value: 'warm-up' }] });
    const consumer = kafka.consumer({ groupId: uniqueName('lp'), maxWaitTimeInMs: 30_000 });
    await consumer.connect();
    const got = await collect(consumer, topic);
    await waitFor(() => got.length === 1, { description: 'the warm-up message' });
    // Wait until the consumer's next fetch is parked in its 30 s long poll.
    await waitFor(async () => (await broker.metrics.fetchesWaiting.get()).values[0]!.value >= 1, {
      description: 'a fetch waiting for data',
    });

    const sent = Date.now();
    await producer.send({ topic, messages: [{ key: 'k', value: 'wake up' }] });
    await waitFor(() => got.length === 2, { timeoutMs: 20_000, description: 'the message to arrive' });
    expect(Date.now() - sent).toBeLessThan(5_000);
    // Disconnecting waits for the consumer's next parked fetch; data ends it at once.
    await waitFor(async () => (await broker.metrics.fetchesWaiting.get()).values[0]!.value >= 1, {
      description: 'the next fetch waiting',
    });
    const stopping = consumer.disconnect();
    await producer.send({ topic, messages: [{ key: 'k', value: 'release' }] });
    await stopping;
  });

  it('finds offsets by timestamp, earliest and latest', async () => {
    const topic = uniqueName('time');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const t0 = Date.now() - 60_000;
    await producer.send({
      topic,
      messages: [0, 10, 20, 30].map((s) => ({ value: `at ${s}`, timestamp: String(t0 + s * 1000) })),
    });
    const at = async (ts: number) => (await admin.fetchTopicOffsetsByTimestamp(topic, ts))[0]!.offset;
    expect(await at(t0)).toBe('0');
    expect(await at(t0 + 15_000)).toBe('2');
    expect(await at(t0 + 30_000)).toBe('3');
    // After the newest record: the log end, as Kafka's admin client resolves -1.
    expect(await at(t0 + 31_000)).toBe('4');
    const [offsets] = await admin.fetchTopicOffsets(topic);
    expect(offsets).toMatchObject({ low: '0', high: '4' });
    await admin.disconnect();
  });

  it('creates and deletes topics through the admin API', async () => {
    const topic = uniqueName('admin');
    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 5 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 5 }] })).toBe(false);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]!.partitions).toHaveLength(5);
    await admin.deleteTopics({ topics: [topic] });
    expect(await admin.listTopics()).not.toContain(topic);
    await expect(admin.createTopics({ topics: [{ topic: 'bad/name', numPartitions: 1 }] })).rejects.toThrow();
    await expect(admin.createTopics({ topics: [{ topic: uniqueName('rf'), numPartitions: 1, replicationFactor: 3 }] })).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })],
    });
    await admin.disconnect();
  });
});
