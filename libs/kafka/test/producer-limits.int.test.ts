import { recordCount, startTestBroker, uniqueName, waitFor, type TestBroker } from '@orderflow/testing';
import {
  createBus,
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  MessageKeyTooLargeError,
  MessageRefusedError,
  MessageTooLargeError,
  recordBatchBytes,
  sendEach,
  type Bus,
  type ProducedRecord,
} from '../src';
import { readTopic, type RawRecord } from './support';

let broker: TestBroker;
let bus: Bus;

beforeAll(async () => {
  broker = await startTestBroker();
  bus = createBus({ brokers: broker.brokers, clientId: 'producer-limits-test', requestTimeoutMs: 5_000 });
});

afterAll(async () => {
  await bus?.close();
  await broker?.stop();
});

/** Everything on `topic`, which must hold exactly `count` records: none lost, none written twice. */
async function recordsOn(topic: string, count: number): Promise<RawRecord[]> {
  expect(await recordCount(broker.brokers, topic)).toBe(count);
  const read: RawRecord[] = [];
  const stop = await readTopic(broker, topic, read);
  try {
    await waitFor(() => read.length >= count, { description: `${count} records on ${topic}` });
    return read;
  } finally {
    await stop();
  }
}

const settle = (sends: Promise<ProducedRecord>[]) => Promise.allSettled(sends);

describe('per-message limits of the batching producer', () => {
  it('refuses a message over max.message.bytes alone, before producing, and its neighbours in the same burst go out once', async () => {
    const producer = bus.createProducer();
    const topic = uniqueName('too-large');
    const huge = 'x'.repeat(1_100_000);
    const results = await settle(
      Array.from({ length: 9 }, (_, i) => producer.send(topic, { key: `order-${i % 3}`, value: i === 4 ? huge : `m-${i}` })),
    );

    const refused = results[4];
    expect(refused.status).toBe('rejected');
    const error = (refused as PromiseRejectedResult).reason as MessageTooLargeError;
    expect(error).toBeInstanceOf(MessageTooLargeError);
    expect(error).toMatchObject({ name: 'MessageTooLargeError', retriable: false, limit: KAFKA_DEFAULT_MAX_MESSAGE_BYTES });
    expect(error.bytes).toBeGreaterThan(1_100_000);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(8);

    await producer.send(topic, { key: 'marker', value: 'last' });
    const read = await recordsOn(topic, 9);
    expect(read.map((r) => r.value).sort()).toEqual(['last', 'm-0', 'm-1', 'm-2', 'm-3', 'm-5', 'm-6', 'm-7', 'm-8']);
  });

  it('lets a message whose estimate is exactly the limit through: the estimate is never under what the broker counts', async () => {
    const producer = bus.createProducer();
    const topic = uniqueName('at-limit');
    const message = { key: 'order-1', value: '', headers: { 'event-type': 'order.created', trace: 't-1' } };
    message.value = 'y'.repeat(KAFKA_DEFAULT_MAX_MESSAGE_BYTES - recordBatchBytes(message));
    expect(recordBatchBytes(message)).toBe(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);

    await expect(producer.send(topic, message)).resolves.toMatchObject({ topic });
    await expect(producer.send(topic, { ...message, value: `${message.value}y` })).rejects.toBeInstanceOf(MessageTooLargeError);
  });

  it('refuses a key over 1,024 bytes with its own error and sends the rest', async () => {
    const producer = bus.createProducer();
    const topic = uniqueName('long-key');
    const results = await settle([
      producer.send(topic, { key: 'k'.repeat(200_000), value: 'long key' }),
      producer.send(topic, { key: 'k'.repeat(1_024), value: 'longest allowed key' }),
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: expect.any(MessageKeyTooLargeError) });
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ bytes: 200_000, limit: 1_024, retriable: false });
    expect(results[1].status).toBe('fulfilled');
  });

  it('sends each message of a request the broker refused for one of them alone, so only that one fails', async () => {
    // Configured above the broker's limit, as when a topic's max.message.bytes is lower than ours:
    // the check lets the message through and the broker refuses its request.
    const producer = bus.createProducer({ maxMessageBytes: 4_000_000, maxBatchBytes: 4_000_000, lingerMs: 20 });
    const topic = uniqueName('broker-refused');
    const results = await settle(
      Array.from({ length: 6 }, (_, i) => producer.send(topic, { key: `order-${i % 2}`, value: i === 2 ? 'z'.repeat(1_200_000) : `m-${i}` })),
    );
    expect(results[2]).toMatchObject({ status: 'rejected', reason: expect.any(MessageRefusedError) });
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ reason: 'MESSAGE_TOO_LARGE', retriable: false });
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const read = await recordsOn(topic, 5);
    expect(new Set(read.map((r) => r.value))).toEqual(new Set(['m-0', 'm-1', 'm-3', 'm-4', 'm-5']));
  });
});

describe('sendEach', () => {
  it('tells each record its outcome and holds back the later records of a refused record’s key', async () => {
    const producer = bus.createProducer();
    const topic = uniqueName('send-each');
    const outcomes = await sendEach(producer, [
      { topic, key: 'a', value: 'a-1' },
      { topic, key: 'b', value: 'x'.repeat(1_100_000) },
      { topic, key: 'a', value: 'a-2' },
      { topic, key: 'b', value: 'b-2' },
      { topic, key: null, value: 'keyless' },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['sent', 'refused', 'sent', 'held', 'sent']);
    expect(outcomes[1]).toMatchObject({ error: expect.any(MessageTooLargeError) });
    const read = await recordsOn(topic, 3);
    expect(read.map((r) => r.value).sort()).toEqual(['a-1', 'a-2', 'keyless']);
  });
});
