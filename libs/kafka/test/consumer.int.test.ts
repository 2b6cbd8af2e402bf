import { ErrorCode } from '@orderflow/kafka-broker';
import { describeOnEmbeddedBroker, startTestBroker, uniqueName, waitFor, type TestBroker } from '@orderflow/testing';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Registry } from 'prom-client';
import { createBus, type BatchingProducer, type Bus } from '../src';
import { clientRequests, metricValue, nOf, paymentEvent, sendEventTo } from './support';

let broker: TestBroker;
let bus: Bus;
let producer: BatchingProducer;
const registry = new Registry();

beforeAll(async () => {
  broker = await startTestBroker();
  bus = createBus({ brokers: broker.brokers, clientId: 'consumer-test', registry });
  producer = bus.createProducer();
});

afterAll(async () => {
  await bus?.close();
  await broker?.stop();
});

describe('consumer runner', () => {
  it('handles each order key strictly in publish order under random handler delays', async () => {
    const topic = uniqueName('ordering');
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    await Promise.all(keys.flatMap((key) => Array.from({ length: 30 }, (_, n) => sendEventTo(producer, topic, paymentEvent(key, n)))));
    const seen = new Map<string, number[]>();
    const runner = await bus.runConsumer({
      groupId: uniqueName('ordering'),
      topics: [topic],
      partitionsConsumedConcurrently: 3,
      handler: async (event) => {
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
        seen.set(event.orderKey, [...(seen.get(event.orderKey) ?? []), nOf(event)]);
      },
    });
    await waitFor(() => [...seen.values()].reduce((sum, l) => sum + l.length, 0) === 180, { description: 'every event handled' });
    await runner.stop();
    for (const key of keys) expect(seen.get(key)).toEqual(Array.from({ length: 30 }, (_, n) => n));
    expect(await metricValue(registry, 'orderflow_consumer_messages_processed_total', { topic })).toBe(180);
    expect(await metricValue(registry, 'orderflow_consumer_lag', { topic })).toBe(0);
  });

  it('hands runs of a partition to the batch handler in offset order, and commits them', async () => {
    const topic = uniqueName('runs');
    const groupId = uniqueName('runs');
    const keys = ['a', 'b', 'c', 'd'];
    await Promise.all(keys.flatMap((key) => Array.from({ length: 50 }, (_, n) => sendEventTo(producer, topic, paymentEvent(key, n)))));
    const seen = new Map<string, number[]>();
    const runs: number[] = [];
    const record = (key: string, n: number): void => void seen.set(key, [...(seen.get(key) ?? []), n]);
    const runner = await bus.runConsumer({
      groupId,
      topics: [topic],
      maxBatchSize: 40,
      handler: async (event) => record(event.orderKey, nOf(event)),
      batchHandler: async (run) => {
        runs.push(run.length);
        for (const { event } of run) record(event.orderKey, nOf(event));
      },
    });
    await waitFor(() => [...seen.values()].reduce((sum, l) => sum + l.length, 0) === 200, { description: 'every event handled' });
    await runner.stop();
    for (const key of keys) expect(seen.get(key)).toEqual(Array.from({ length: 50 }, (_, n) => n));
    expect(Math.max(...runs)).toBeGreaterThan(1);
    expect(Math.max(...runs)).toBeLessThanOrEqual(40);
    expect(await metricValue(registry, 'orderflow_consumer_messages_processed_total', { topic })).toBe(200);

    // Committed: the group starts after the last message.
    await sendEventTo(producer, topic, paymentEvent('a', 50));
    const after: number[] = [];
    const next = await bus.runConsumer({ groupId, topics: [topic], handler: async (event) => void after.push(nOf(event)) });
    await waitFor(() => after.length === 1, { description: 'the new message' });
    await next.stop();
    expect(after).toEqual([50]);
  });

  it('commits only what was handled: a stopped consumer resumes right after its last handled message', async () => {
    const topic = uniqueName('resume');
    const groupId = uniqueName('resume');
    for (let n = 0; n < 40; n += 1) await sendEventTo(producer, topic, paymentEvent('one-order', n));
    const first: number[] = [];
    let reached!: () => void;
    const reachedFifteen = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const runner = await bus.runConsumer({
      groupId,
      topics: [topic],
      handler: async (event) => {
        if (first.length === 14) {
          reached();
          await gate; // hold the 15th message until stop() has been called: it is "in flight"
        }
        first.push(nOf(event));
      },
    });
    await reachedFifteen;
    const stopping = runner.stop();
    release();
    await stopping;
    expect(first).toEqual(Array.from({ length: 15 }, (_, n) => n));

    const second: number[] = [];
    const next = await bus.runConsumer({ groupId, topics: [topic], handler: async (event) => void second.push(nOf(event)) });
    await waitFor(() => second.includes(39), { description: 'the second consumer to reach the end' });
    await next.stop();

    expect(second[0]).toBe(15);
    expect([...new Set([...first, ...second])].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, n) => n));
  });

  it('replays from an offset or a point in time once the group is reset there, with the original event IDs', async () => {
    const topic = uniqueName('replay');
    const groupId = uniqueName('replay');
    const sent: string[] = [];
    let partition = -1;
    const send = async (n: number) => {
      const event = paymentEvent('one-order', n);
      sent.push(event.eventId);
      partition = (await sendEventTo(producer, topic, event)).partition;
    };
    for (let n = 0; n < 10; n += 1) await send(n);
    // Record timestamps are the producer's clock in milliseconds: the second half is stamped from `middle` on.
    const middle = Date.now() + 1;
    await waitFor(() => Date.now() >= middle);
    for (let n = 10; n < 20; n += 1) await send(n);

    const handle = async (): Promise<string[]> => {
      const handled: string[] = [];
      const runner = await bus.runConsumer({ groupId, topics: [topic], handler: async (event) => void handled.push(event.eventId) });
      await waitFor(() => handled.at(-1) === sent[19], { description: 'the last message handled' });
      await runner.stop();
      return handled;
    };
    expect(await handle()).toEqual(sent);

    // What `kafka-consumer-groups --reset-offsets --to-datetime` (or `--to-offset`) does, through the admin API.
    const admin = new Kafka({ clientId: 'replay-admin', brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const atMiddle = (await admin.fetchTopicOffsetsByTimestamp(topic, middle)).find((p) => p.partition === partition)!.offset;
      expect(atMiddle).toBe('10');
      await admin.setOffsets({ groupId, topic, partitions: [{ partition, offset: atMiddle }] });
      expect(await handle()).toEqual(sent.slice(10));
      await admin.setOffsets({ groupId, topic, partitions: [{ partition, offset: '4' }] });
      expect(await handle()).toEqual(sent.slice(4));
    } finally {
      await admin.disconnect();
    }
  });

  it('commits the handled messages of a quiet partition together, and without being stopped', async () => {
    const topic = uniqueName('quiet');
    const groupId = uniqueName('quiet');
    const handled: number[] = [];
    const runner = await bus.runConsumer({ groupId, topics: [topic], handler: async (event) => void handled.push(nOf(event)) });
    const commitsBefore = await clientRequests(registry, 'OffsetCommit');
    // One message at a time, each sent once the one before is handled: every batch is one message.
    for (let n = 0; n < 20; n += 1) {
      await sendEventTo(producer, topic, paymentEvent('quiet-order', n));
      await waitFor(() => handled.length === n + 1, { description: `message ${n} handled` });
    }
    const admin = new Kafka({ clientId: 'offsets-reader', brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const committed = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    await waitFor(async () => (await committed()) === 20, { description: 'all 20 committed while the consumer runs' });
    await admin.disconnect();
    const commits = (await clientRequests(registry, 'OffsetCommit')) - commitsBefore;
    // One each was 20; at most one per 100 ms interval now (and never more than the batches).
    expect(commits).toBeGreaterThan(0);
    expect(commits).toBeLessThan(20);
    await runner.stop();
    expect(handled).toEqual(Array.from({ length: 20 }, (_, n) => n));
  });

  it('stops gracefully: waits for the handler in flight, commits it, and it is not delivered again', async () => {
    const topic = uniqueName('graceful');
    const groupId = uniqueName('graceful');
    await sendEventTo(producer, topic, paymentEvent('k', 0));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    let finished = false;
    const runner = await bus.runConsumer({
      groupId,
      topics: [topic],
      handler: async () => {
        started = true;
        await gate;
        finished = true;
      },
    });
    await waitFor(() => started, { description: 'the handler to start' });
    let stopped = false;
    const stop = runner.stop().then(() => (stopped = true));
    expect(finished || stopped).toBe(false);
    release();
    await stop;
    expect(finished).toBe(true);

    await sendEventTo(producer, topic, paymentEvent('k', 1));
    const again: number[] = [];
    const next = await bus.runConsumer({ groupId, topics: [topic], handler: async (event) => void again.push(nOf(event)) });
    await waitFor(() => again.includes(1), { description: 'the next message' });
    await next.stop();
    expect(again).toEqual([1]);
  });

  it('survives the broker dropping every connection mid-stream without losing a message', async () => {
    const topic = uniqueName('dropped');
    const handled = new Set<number>();
    const runner = await bus.runConsumer({ groupId: uniqueName('dropped'), topics: [topic], handler: async (event) => void handled.add(nOf(event)) });
    for (let n = 0; n < 20; n += 1) await sendEventTo(producer, topic, paymentEvent(`k${n % 4}`, n));
    await waitFor(() => handled.size >= 5, { description: 'some messages handled' });
    await broker.dropConnections();
    for (let n = 20; n < 40; n += 1) await sendEventTo(producer, topic, paymentEvent(`k${n % 4}`, n));
    await waitFor(() => handled.size === 40, { timeoutMs: 30_000, description: 'every message handled after the drop' });
    await runner.stop();
  });

  it('pauses and resumes on request', async () => {
    const topic = uniqueName('paused');
    const handled: number[] = [];
    const witnessed: number[] = [];
    const runner = await bus.runConsumer({ groupId: uniqueName('paused'), topics: [topic], handler: async (e) => void handled.push(nOf(e)) });
    // A second group on the same topic shows when the paused runner would have had the message.
    const witness = await bus.runConsumer({ groupId: uniqueName('witness'), topics: [topic], handler: async (e) => void witnessed.push(nOf(e)) });
    await sendEventTo(producer, topic, paymentEvent('k', 0));
    await waitFor(() => handled.length === 1 && witnessed.length === 1, { description: 'both groups to handle the first message' });

    runner.pause();
    expect(runner.isPaused()).toBe(true);
    await sendEventTo(producer, topic, paymentEvent('k', 1));
    await sendEventTo(producer, topic, paymentEvent('k', 2));
    await waitFor(() => witnessed.length === 3, { description: 'the witness to handle the new messages' });
    expect(handled).toEqual([0]);

    runner.resume();
    await waitFor(() => handled.length === 3, { description: 'the resumed runner to catch up' });
    expect(handled).toEqual([0, 1, 2]);
    await Promise.all([runner.stop(), witness.stop()]);
  });
});

describe('topics', () => {
  it('creates the same new topics from several clients at once, as instances starting together do', async () => {
    const topics = [uniqueName('together-a'), uniqueName('together-b')].map((topic) => ({ topic }));
    const buses = Array.from({ length: 4 }, (_, i) => createBus({ brokers: broker.brokers, clientId: `starting-${i}` }));
    try {
      await Promise.all(buses.map((b) => b.ensureTopics(topics, { withDeadLetters: true })));
    } finally {
      await Promise.all(buses.map((b) => b.close()));
    }
    const admin = new Kafka({ clientId: 'topics-reader', brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const { topics: described } = await admin.fetchTopicMetadata({ topics: topics.flatMap(({ topic }) => [topic, `${topic}.dlq`]) });
    await admin.disconnect();
    expect(described.map((t) => t.partitions.length)).toEqual([3, 3, 3, 3]);
  });
});

describeOnEmbeddedBroker('needs a coordinator that fails offset commits with a retriable error for as long as the test says', 'consumer runner across a rebalance', () => {
  it('never commits, in a new generation, a partition the member lost: its failing commit is not retried past the rebalance', async () => {
    const { faults } = broker.embedded!;
    const topic = uniqueName('handover');
    const groupId = uniqueName('handover');
    // Two partitions: once a second member joins, each member holds one.
    await bus.ensureTopics([{ topic, partitions: 2 }]);
    const admin = new Kafka({ clientId: 'offsets-reader', brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const committed = async (partition: number) =>
      Number((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.find((p) => p.partition === partition)!.offset);
    // Commits at most every 2 s: what this member handles between them waits for the timer.
    const handledByA: Array<{ partition: number; offset: string }> = [];
    const a = await bus.runConsumer({ groupId, topics: [topic], commitIntervalMs: 2_000, handler: async (_e, c) => void handledByA.push(c) });
    await waitFor(() => a.assignments().flatMap((t) => t.partitions).length === 2, { description: 'the first member to hold both partitions' });
    await sendEventTo(producer, topic, paymentEvent('handover-0', 0));
    await waitFor(async () => handledByA.length === 1 && (await committed(handledByA[0]!.partition)) === 1, { description: 'the first message handled and committed' });

    // From here the coordinator fails every commit as if it were still loading the group.
    faults.failNext('OffsetCommit', 1_000_000, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    for (let n = 1; n <= 6; n += 1) await sendEventTo(producer, topic, paymentEvent(keyOn(n % 2, 2), n));
    const handledOnce = () => new Map(handledByA.map((c) => [`${c.partition}/${c.offset}`, c]));
    await waitFor(() => handledOnce().size === 7 && new Set(handledByA.map((c) => c.partition)).size === 2, {
      description: 'both partitions handled, uncommitted',
    });

    // Its timer's commit of both partitions is failing, and going out again, when…
    const commitsBefore = await clientRequests(registry, 'OffsetCommit');
    await waitFor(async () => (await clientRequests(registry, 'OffsetCommit')) >= commitsBefore + 2, { description: 'a failing commit to be sent again' });
    // …a second member takes one partition over; it handles nothing (its handler waits).
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handledByB: number[] = [];
    const b = await bus.runConsumer({ groupId, topics: [topic], handler: async (e) => {
      handledByB.push(nOf(e));
      await gate;
    } });
    await waitFor(() => a.assignments().flatMap((t) => t.partitions).length === 1 && b.assignments().flatMap((t) => t.partitions).length === 1, {
      timeoutMs: 20_000,
      description: 'the group to rebalance: one partition each',
    });
    try {
      const kept = a.assignments()[0]!.partitions[0]!;
      const lost = 1 - kept;
      const lostBefore = await committed(lost);

      // Commits go through again: the first member commits what it handled of the partition it kept…
      faults.reset();
      const handledOfKept = [...handledOnce().values()].filter((c) => c.partition === kept).map((c) => Number(c.offset) + 1);
      await waitFor(async () => (await committed(kept)) === Math.max(...handledOfKept), { timeoutMs: 20_000, description: 'the kept partition committed' });
      // …and nothing of the one it lost: that is the new owner's to commit, which has handled none yet.
      expect(await committed(lost)).toBe(lostBefore);
    } finally {
      faults.reset();
      release();
    }
    await waitFor(() => handledByB.length > 0, { description: 'the new owner to handle its partition' });
    await Promise.all([a.stop(), b.stop()]);
    await admin.disconnect();
  }, 60_000);
});

/** An order key the producer's partitioner puts on `partition` of a topic with `of` partitions. */
function keyOn(partition: number, of: number): string {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: of }, (_, partitionId) => ({ partitionId, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
  for (let n = 0; ; n += 1) {
    const key = `order-${partition}-${n}`;
    if (partitioner({ topic: 't', partitionMetadata, message: { key, value: null } }) === partition) return key;
  }
}
