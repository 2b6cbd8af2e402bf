import { Partitioners, type Admin, type Kafka, type Producer, type ProducerConfig } from 'kafkajs';
import { uniqueName, waitFor } from '@orderflow/testing';
import { ErrorCode, type RunningBroker } from '../src';
import { fetchApi } from '../src/apis/fetch';
import { encodeBody, RawConnection } from './raw-client';
import { collect, kafkaFor, startTestBroker } from './support';

const FETCH = 1;
const API_VERSIONS = 18;

describe('fault injection as services will use it', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let admin: Admin;
  let cleanup: Array<() => Promise<unknown>>;

  // A broker per test: rules are global, so one test's leftovers must not hit the next.
  beforeEach(async () => {
    broker = await startTestBroker();
    kafka = kafkaFor(broker, 'faults');
    admin = kafka.admin();
    await admin.connect();
    cleanup = [() => admin.disconnect()];
  });

  afterEach(async () => {
    // A failed test may leave a silence or rules behind; clients could not disconnect through them.
    broker.faults.reset();
    await Promise.allSettled(cleanup.reverse().map((fn) => fn()));
    await broker.stop();
  });

  const createTopic = async (): Promise<string> => {
    const topic = uniqueName('faults');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    return topic;
  };

  const producerFor = async (config: ProducerConfig = {}): Promise<Producer> => {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, ...config });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    return producer;
  };

  const requestsOf = async (api: string): Promise<number> =>
    (await broker.metrics.requests.get()).values.filter((v) => v.labels.api === api).reduce((n, v) => n + v.value, 0);

  const bytesIn = async (): Promise<number> => (await broker.metrics.bytesIn.get()).values[0]?.value ?? 0;

  const bytesOut = async (): Promise<number> => (await broker.metrics.bytesOut.get()).values[0]?.value ?? 0;

  const highWatermark = async (topic: string): Promise<number> => Number((await admin.fetchTopicOffsets(topic))[0]!.high);

  /** Every value in the topic, read back by a consumer up to the high watermark. */
  const valuesIn = async (topic: string): Promise<string[]> => {
    const expected = await highWatermark(topic);
    const consumer = kafka.consumer({ groupId: uniqueName('read-back'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    const got = await collect(consumer, topic);
    await waitFor(() => got.length >= expected, { description: `${expected} records read back from ${topic}` });
    await consumer.disconnect();
    return got.map((m) => m.value!);
  };

  /** One Fetch v4 on a raw connection with no long poll, so its duration is the broker's doing alone. */
  const rawFetch = (conn: RawConnection, topic: string): Promise<Buffer | null> => {
    const request = {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }] }],
    };
    return conn.request(FETCH, 4, encodeBody(fetchApi.request, request, 4));
  };

  const timedFetch = async (conn: RawConnection, topic: string): Promise<number> => {
    const started = performance.now();
    expect(await rawFetch(conn, topic)).not.toBeNull();
    return performance.now() - started;
  };

  const openRaw = async (): Promise<RawConnection> => {
    const conn = await RawConnection.open(broker);
    cleanup.push(() => conn.close());
    return conn;
  };

  it('failNext: a producer retries NOT_LEADER_OR_FOLLOWER and the message is stored once', async () => {
    const topic = await createTopic();
    const producer = await producerFor();
    const before = await requestsOf('Produce');
    broker.faults.failNext('Produce', 2, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    await producer.send({ topic, messages: [{ value: 'exactly once' }] });
    // Two failed attempts and the one that landed.
    expect((await requestsOf('Produce')) - before).toBe(3);
    expect(await highWatermark(topic)).toBe(1);
    expect(await valuesIn(topic)).toEqual(['exactly once']);
  });

  it.each([
    ['an idempotent producer stores it once', { idempotent: true, maxInFlightRequests: 1 }, ['x']],
    // The control: without sequence numbers the retry is a second record, so the check above can fail.
    ['a plain producer stores it twice', {}, ['x', 'x']],
  ])('dropResponseNext: after a lost Produce response %s', async (_what, config: ProducerConfig, expected: string[]) => {
    const topic = await createTopic();
    const producer = await producerFor(config);
    const before = await requestsOf('Produce');
    broker.faults.dropResponseNext('Produce', 1);
    await producer.send({ topic, messages: [{ value: 'x' }] });
    expect((await requestsOf('Produce')) - before).toBe(2);
    expect(await highWatermark(topic)).toBe(expected.length);
    expect(await valuesIn(topic)).toEqual(expected);
  });

  it('closeAllConnections: a consumer group member reconnects and receives every later message', async () => {
    const topic = await createTopic();
    const producer = await producerFor();
    const consumer = kafka.consumer({ groupId: uniqueName('survivor'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    cleanup.push(() => consumer.disconnect());
    const got = await collect(consumer, topic);
    await producer.send({ topic, messages: [{ value: 'before' }] });
    await waitFor(() => got.some((m) => m.value === 'before'), { description: 'the message before the drop' });

    const bystander = await openRaw();
    // The admin, the producer, the bystander and the consumer's group and fetch connections at least.
    expect(broker.faults.closeAllConnections()).toBeGreaterThanOrEqual(4);
    await waitFor(() => bystander.isClosed, { description: 'the connections to be dropped' });
    const later = Array.from({ length: 20 }, (_, i) => `after-${i}`);
    for (const value of later) await producer.send({ topic, messages: [{ value }] });
    await waitFor(() => later.every((v) => got.some((m) => m.value === v)), {
      timeoutMs: 30_000,
      description: 'every message sent after the drop',
    });
    // Redelivery after a lost commit is allowed; reordering is not.
    const afterOrder = got.map((m) => m.value!).filter((v) => v.startsWith('after-'));
    expect([...new Set(afterOrder)]).toEqual(later);
  });

  it('delayNext: holds exactly one Fetch for the given time', async () => {
    const topic = await createTopic();
    const [a, b] = [await openRaw(), await openRaw()];
    expect(await timedFetch(a, topic)).toBeLessThan(250);

    broker.faults.delayNext('Fetch', 1, 500);
    const fetchesBefore = await requestsOf('Fetch');
    let delayedDone = false;
    const delayed = timedFetch(a, topic).then((ms) => ((delayedDone = true), ms));
    await waitFor(async () => (await requestsOf('Fetch')) > fetchesBefore, { description: 'the delayed fetch to be read' });
    // The rule is used up: another client's fetch is answered while the first is still held.
    expect(await timedFetch(b, topic)).toBeLessThan(250);
    expect(delayedDone).toBe(false);
    // Timers run on a millisecond clock, so the held time can read a fraction of a millisecond short.
    expect(await delayed).toBeGreaterThanOrEqual(499);
    expect(await timedFetch(a, topic)).toBeLessThan(250);
  });

  it('stopAnswering: a request made during the silence is answered only after resumeAnswering', async () => {
    const topic = await createTopic();
    const producer = await producerFor();
    await producer.send({ topic, messages: [{ value: 'v' }] });

    broker.faults.stopAnswering(30_000);
    const [inBefore, outBefore] = [await bytesIn(), await bytesOut()];
    let resumed = false;
    let resolvedAfterResume: boolean | null = null;
    const offsets = admin.fetchTopicOffsets(topic).then((o) => ((resolvedAfterResume = resumed), o));
    await waitFor(async () => (await bytesIn()) > inBefore, { description: 'the admin request to reach the broker' });
    // Read but not answered: not one response byte has gone out.
    expect(await bytesOut()).toBe(outBefore);
    expect(resolvedAfterResume).toBeNull();

    resumed = true;
    broker.faults.resumeAnswering();
    // Well inside the silence's own 30 s: it was resumeAnswering that ended it.
    await waitFor(() => resolvedAfterResume !== null, { timeoutMs: 5000, description: 'the answer after resuming' });
    expect((await offsets)[0]).toMatchObject({ high: '1' });
    expect(resolvedAfterResume).toBe(true);
  });

  it('stopAnswering: holds even a request answered without a handler (ApiVersions v99)', async () => {
    const conn = await openRaw();
    broker.faults.stopAnswering(30_000);
    const [inBefore, outBefore] = [await bytesIn(), await bytesOut()];
    let resumed = false;
    let answeredAfterResume: boolean | null = null;
    const answer = conn.request(API_VERSIONS, 99, Buffer.alloc(0)).then((body) => ((answeredAfterResume = resumed), body));
    await waitFor(async () => (await bytesIn()) > inBefore, { description: 'the request to reach the broker' });
    expect(await bytesOut()).toBe(outBefore);
    resumed = true;
    broker.faults.resumeAnswering();
    await waitFor(() => answeredAfterResume !== null, { timeoutMs: 5000, description: 'the answer after resuming' });
    expect((await answer)?.readInt16BE(0)).toBe(ErrorCode.UNSUPPORTED_VERSION);
    expect(answeredAfterResume).toBe(true);
  });

  it('stopAnswering: the silence also ends by itself when its time is up', async () => {
    const topic = await createTopic();
    const silenced = performance.now();
    broker.faults.stopAnswering(300);
    // No resumeAnswering: the answer comes once the 300 ms are up, and not before.
    expect((await admin.fetchTopicOffsets(topic))[0]).toMatchObject({ high: '0' });
    expect(performance.now() - silenced).toBeGreaterThanOrEqual(299);
  });

  it('reset: clears pending rules and ends a silence', async () => {
    const topic = await createTopic();
    const producer = await producerFor();
    const conn = await openRaw();
    broker.faults.failNext('Produce', 3, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    broker.faults.dropResponseNext('Produce', 1);
    broker.faults.delayNext('Fetch', 1, 5000);
    broker.faults.reset();

    const before = await requestsOf('Produce');
    await producer.send({ topic, messages: [{ value: 'first try' }] });
    expect((await requestsOf('Produce')) - before).toBe(1);
    expect(await timedFetch(conn, topic)).toBeLessThan(250);

    broker.faults.stopAnswering(30_000);
    const inBefore = await bytesIn();
    let resetDone = false;
    let answeredAfterReset: boolean | null = null;
    const offsets = admin.fetchTopicOffsets(topic).then((o) => ((answeredAfterReset = resetDone), o));
    await waitFor(async () => (await bytesIn()) > inBefore, { description: 'the admin request to reach the broker' });
    resetDone = true;
    broker.faults.reset();
    // Well inside the silence's own 30 s: it was reset that ended it.
    await waitFor(() => answeredAfterReset !== null, { timeoutMs: 5000, description: 'the answer after reset' });
    expect((await offsets)[0]).toMatchObject({ high: '1' });
    expect(answeredAfterReset).toBe(true);
  });
});
