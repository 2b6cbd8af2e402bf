import { deadLetterTopic } from '@orderflow/events';
import { ErrorCode } from '@orderflow/kafka-broker';
import { startTestBroker, uniqueName, waitFor, type TestBroker } from '@orderflow/testing';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { Registry } from 'prom-client';
import {
  createBus,
  DeadLetterHeaders,
  DependencyUnavailableError,
  NonRetriableError,
  RetriableError,
  type BatchingProducer,
  type Bus,
  type ConsumerOptions,
} from '../src';
import { metricValue, nOf, paymentEvent, produceRaw, readTopic, sendEventTo, type RawRecord } from './support';

let broker: TestBroker;
let bus: Bus;
let producer: BatchingProducer;
const registry = new Registry();
const stops: Array<() => Promise<void>> = [];
const fast = { initialMs: 5, maxMs: 20 };

beforeAll(async () => {
  broker = await startTestBroker();
  bus = createBus({ brokers: broker.brokers, clientId: 'dead-letter-test', registry });
  producer = bus.createProducer();
});

afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

afterAll(async () => {
  await bus?.close();
  await broker?.stop();
});

async function run(topic: string, handler: ConsumerOptions['handler'], options: Partial<ConsumerOptions> = {}): Promise<void> {
  const runner = await bus.runConsumer({ groupId: uniqueName('dlq'), topics: [topic], handler, backoff: fast, ...options });
  stops.push(() => runner.stop());
}

async function deadLetters(topic: string): Promise<RawRecord[]> {
  const records: RawRecord[] = [];
  stops.push(await readTopic(broker, deadLetterTopic(topic), records));
  return records;
}

describe('retries and dead letters', () => {
  it('retries a retriable failure with backoff and then succeeds, without dead-lettering', async () => {
    const topic = uniqueName('retry');
    const attempts: number[] = [];
    let done = false;
    await run(topic, async (_event, context) => {
      attempts.push(context.attempt);
      if (context.attempt < 3) throw new RetriableError('database busy');
      done = true;
    });
    await sendEventTo(producer, topic, paymentEvent('k', 0));
    await waitFor(() => done, { description: 'the third attempt to succeed' });
    expect(attempts).toEqual([1, 2, 3]);
    expect(await metricValue(registry, 'orderflow_consumer_retries_total', { topic })).toBe(2);
    expect(await metricValue(registry, 'orderflow_consumer_handler_failures_total', { topic })).toBe(2);
    expect(await metricValue(registry, 'orderflow_consumer_dead_lettered_total', { topic })).toBe(0);
  });

  it('dead-letters a message that is not a valid event with the reason, its origin and its bytes untouched, then carries on', async () => {
    const topic = uniqueName('poison');
    const handled: number[] = [];
    await run(topic, async (event) => void handled.push(nOf(event)));
    const dlq = await deadLetters(topic);
    await produceRaw(broker, topic, 'order-1', '{"not": "an envelope"');
    await sendEventTo(producer, topic, paymentEvent('order-1', 1));

    await waitFor(() => dlq.length === 1 && handled.length === 1, { description: 'the poison dead-lettered and the next event handled' });
    const [record] = dlq;
    expect(record?.key).toBe('order-1');
    expect(record?.value).toBe('{"not": "an envelope"');
    expect(record?.headers).toMatchObject({
      origin: 'test',
      [DeadLetterHeaders.reason]: 'undecodable',
      [DeadLetterHeaders.originalTopic]: topic,
      [DeadLetterHeaders.originalOffset]: '0',
    });
    expect(record?.headers[DeadLetterHeaders.error]).toMatch(/not JSON/);
    expect(record?.headers[DeadLetterHeaders.originalPartition]).toMatch(/^\d$/);
    expect(handled).toEqual([1]);
  });

  it.each([
    ['a key over 1 KiB', 'k'.repeat(5_000), 'not an event', /key .* is 5000 bytes, over the limit of 1024/],
    // Fits the topic alone, but not with the dead-letter headers added.
    ['a value at the size limit', 'order-1', 'x'.repeat(1_048_300), /over the limit of 1048588/],
  ])('dead-letters a message its copy cannot carry (%s) without key and value, saying why, then carries on', async (_case, key, value, why) => {
    const topic = uniqueName('uncopyable');
    const handled: number[] = [];
    await run(topic, async (event) => void handled.push(nOf(event)));
    const dlq = await deadLetters(topic);
    await produceRaw(broker, topic, key, value);
    await sendEventTo(producer, topic, paymentEvent('order-1', 1));

    await waitFor(() => dlq.length === 1 && handled.length === 1, { description: 'the poison dead-lettered and the next event handled' });
    const [record] = dlq;
    expect(record).toMatchObject({ key: null, value: null });
    expect(record?.headers).toMatchObject({ [DeadLetterHeaders.reason]: 'undecodable', [DeadLetterHeaders.originalTopic]: topic, [DeadLetterHeaders.originalOffset]: '0' });
    expect(record?.headers[DeadLetterHeaders.payloadDropped]).toMatch(why);
  });

  it('falls back from a failed batch to one event at a time: only the poison event is dead-lettered, in its place', async () => {
    const topic = uniqueName('batch-poison');
    const poison = paymentEvent('order-1', 5);
    for (let n = 0; n < 10; n += 1) await sendEventTo(producer, topic, n === 5 ? poison : paymentEvent('order-1', n));
    await produceRaw(broker, topic, 'order-1', 'not an event');
    for (let n = 11; n < 14; n += 1) await sendEventTo(producer, topic, paymentEvent('order-1', n));
    const handled: number[] = [];
    let batches = 0;
    let failedRuns = 0;
    const dlq = await deadLetters(topic);
    await run(
      topic,
      async (event) => {
        if (event.eventId === poison.eventId) throw new NonRetriableError('cannot be stored');
        handled.push(nOf(event));
      },
      {
        batchHandler: async (events) => {
          batches += 1;
          if (events.some(({ event }) => event.eventId === poison.eventId)) {
            failedRuns += 1;
            throw new Error('the statement failed');
          }
          for (const { event } of events) handled.push(nOf(event));
        },
      },
    );
    await waitFor(() => handled.length === 12 && dlq.length === 2, { description: 'every good event handled, two dead letters' });
    expect(handled).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13]);
    expect(batches).toBeGreaterThan(0);
    // The failed run's events went one at a time: no run was tried again from each event up to the poison.
    expect(failedRuns).toBe(1);
    expect(dlq.map((r) => r.headers[DeadLetterHeaders.reason]).sort()).toEqual(['non-retriable', 'undecodable']);
  });

  it('starts the consumer again when the client gives up on it: a dead-letter copy the broker refused does not stop consuming for good', async () => {
    const topic = uniqueName('refused-dlq');
    const handled: number[] = [];
    await produceRaw(broker, topic, 'order-1', 'not an event');
    await sendEventTo(producer, topic, paymentEvent('order-1', 1));
    // Refused with MESSAGE_TOO_LARGE, which kafkajs does not retry: it crashes the consumer and,
    // on its own, never starts it again.
    const accept = await refuseDeadLetters(topic);
    let accepted = false;
    try {
      await run(topic, async (event) => void handled.push(nOf(event)));
      await waitFor(async () => (await metricValue(registry, 'orderflow_consumer_crashes_total', {})) >= 1, { timeoutMs: 20_000, description: 'the consumer to crash on the refused copy' });
      expect(handled).toEqual([]);
      await accept();
      accepted = true;
    } finally {
      if (!accepted) await accept();
    }
    const dlq = await deadLetters(topic);
    await waitFor(() => dlq.length === 1 && handled.length === 1, { timeoutMs: 30_000, description: 'the poison dead-lettered and the next event handled' });
    expect(dlq[0]?.value).toBe('not an event');
    expect(handled).toEqual([1]);
  }, 60_000);

  it('dead-letters a non-retriable failure at once, after one attempt', async () => {
    const topic = uniqueName('non-retriable');
    let calls = 0;
    await run(topic, async () => {
      calls += 1;
      throw new NonRetriableError('order total is negative');
    });
    const dlq = await deadLetters(topic);
    const event = paymentEvent('order-9', 0);
    await sendEventTo(producer, topic, event);
    await waitFor(() => dlq.length === 1, { description: 'the dead-letter copy' });
    expect(calls).toBe(1);
    expect(dlq[0]?.headers).toMatchObject({ [DeadLetterHeaders.reason]: 'non-retriable', [DeadLetterHeaders.attempts]: '1', 'event-id': event.eventId });
    expect(dlq[0]?.headers[DeadLetterHeaders.error]).toMatch(/order total is negative/);
    expect(JSON.parse(dlq[0]?.value ?? '{}').eventId).toBe(event.eventId);
  });

  it('dead-letters a message that keeps failing once its attempts are spent', async () => {
    const topic = uniqueName('exhausted');
    let calls = 0;
    await run(
      topic,
      async () => {
        calls += 1;
        throw new Error('a bug that throws every time');
      },
      { maxAttempts: 4 },
    );
    const dlq = await deadLetters(topic);
    await sendEventTo(producer, topic, paymentEvent('k', 0));
    await waitFor(() => dlq.length === 1, { description: 'the dead-letter copy' });
    expect(calls).toBe(4);
    expect(dlq[0]?.headers[DeadLetterHeaders.reason]).toBe('retries-exhausted');
    expect(await metricValue(registry, 'orderflow_consumer_dead_lettered_total', { topic, reason: 'retries-exhausted' })).toBe(1);
  });

  it('treats an error the `unavailable` option names as a dependency outage, not as a poison message', async () => {
    const topic = uniqueName('classified');
    let down = true;
    let outageAttempts = 0;
    const handled: number[] = [];
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    await run(
      topic,
      async (event) => {
        if (down) {
          outageAttempts += 1;
          throw refused;
        }
        handled.push(nOf(event));
      },
      { maxAttempts: 2, dependencyBackoff: fast, unavailable: (err) => ((err as { code?: string }).code === 'ECONNREFUSED' ? 'postgres' : null) },
    );
    const dlq = await deadLetters(topic);
    await sendEventTo(producer, topic, paymentEvent('k', 0));

    await waitFor(() => outageAttempts >= 5, { description: 'retries beyond the attempt budget' });
    expect(await metricValue(registry, 'orderflow_consumer_paused_partitions', { topic })).toBe(1);
    down = false;
    await waitFor(() => handled.length === 1, { description: 'the event handled after the outage' });
    expect(dlq).toEqual([]);
  });

  it('pauses the partition while a dependency is down, keeps the message past its attempt budget, and resumes', async () => {
    const topic = uniqueName('outage');
    let down = true;
    let outageAttempts = 0;
    const handled: number[] = [];
    await run(
      topic,
      async (event) => {
        if (down) {
          outageAttempts += 1;
          throw new DependencyUnavailableError('postgres');
        }
        handled.push(nOf(event));
      },
      { maxAttempts: 2, dependencyBackoff: fast },
    );
    const dlq = await deadLetters(topic);
    await sendEventTo(producer, topic, paymentEvent('k', 0));
    await sendEventTo(producer, topic, paymentEvent('k', 1));

    await waitFor(() => outageAttempts >= 5, { description: 'retries beyond the attempt budget' });
    expect(await metricValue(registry, 'orderflow_consumer_paused_partitions', { topic })).toBe(1);
    expect(handled).toEqual([]);

    down = false;
    await waitFor(() => handled.length === 2, { description: 'both events handled after the outage' });
    expect(handled).toEqual([0, 1]);
    expect(await metricValue(registry, 'orderflow_consumer_paused_partitions', { topic })).toBe(0);
    expect(dlq).toEqual([]);
  });
});

/**
 * Until the returned function resolves, the broker refuses writes to `topic`'s dead-letter topic
 * with MESSAGE_TOO_LARGE. Embedded: every produce is refused (the test's own are done by then).
 * Apache Kafka: the dead-letter topic is created with a `max.message.bytes` below any batch.
 */
async function refuseDeadLetters(topic: string): Promise<() => Promise<void>> {
  if (broker.embedded) {
    const { faults } = broker.embedded;
    faults.failNext('Produce', 1_000_000, ErrorCode.MESSAGE_TOO_LARGE);
    return async () => faults.reset();
  }
  const admin = new Kafka({ clientId: 'refuse-dead-letters', brokers: broker.brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  const dlq = deadLetterTopic(topic);
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic: dlq, configEntries: [{ name: 'max.message.bytes', value: '64' }] }] });
  return async () => {
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: dlq, configEntries: [{ name: 'max.message.bytes', value: '1048588' }] }] });
    await admin.disconnect();
  };
}
