import { ErrorCode } from '@orderflow/kafka-broker';
import { describeOnEmbeddedBroker, recordCount, startTestBroker, uniqueName, waitFor, type TestBroker } from '@orderflow/testing';
import { EventValidationError } from '@orderflow/events';
import { Registry } from 'prom-client';
import { createBus, NonRetriableError, RetriableError, type Bus } from '../src';
import { clientRequests, paymentEvent, readTopic, type RawRecord } from './support';

let broker: TestBroker;
let bus: Bus;
const registry = new Registry();

beforeAll(async () => {
  broker = await startTestBroker();
  bus = createBus({ brokers: broker.brokers, clientId: 'producer-test', requestTimeoutMs: 5_000, registry });
});

afterAll(async () => {
  await bus?.close();
  await broker?.stop();
});

afterEach(() => broker.embedded?.faults.reset());

describe('batching producer', () => {
  it('groups concurrent sends into few Produce requests and gives every caller its own partition and offset', async () => {
    const producer = bus.createProducer();
    const topic = uniqueName('batching');
    await producer.send(topic, { key: 'warm-up', value: 'x' });
    const before = await clientRequests(registry, 'Produce');

    const sent = await Promise.all(Array.from({ length: 500 }, (_, i) => producer.send(topic, { key: `order-${i % 20}`, value: `m-${i}` })));
    const requests = (await clientRequests(registry, 'Produce')) - before;

    expect(requests).toBeLessThanOrEqual(10);
    const positions = new Set(sent.map((r) => `${r.partition}/${r.offset}`));
    expect(positions.size).toBe(500);

    const read: RawRecord[] = [];
    const stopReading = await readTopic(broker, topic, read);
    await waitFor(() => read.length === 501, { description: 'every message to be readable' });
    await stopReading();
    const at = new Map(read.map((r) => [`${r.partition}/${r.offset}`, r.value]));
    sent.forEach((r, i) => expect(at.get(`${r.partition}/${r.offset}`)).toBe(`m-${i}`));
  });

  it('keeps one key on one partition in call order', async () => {
    const producer = bus.createProducer();
    const topic = uniqueName('order');
    const sent = await Promise.all(Array.from({ length: 100 }, (_, i) => producer.send(topic, { key: 'one-order', value: String(i) })));
    expect(new Set(sent.map((r) => r.partition)).size).toBe(1);
    const offsets = sent.map((r) => BigInt(r.offset));
    offsets.forEach((o, i) => i > 0 && expect(o).toBe((offsets[i - 1] as bigint) + 1n));
  });

  it('sends a catalog event to its topic, keyed by order, and refuses an invalid one before it reaches Kafka', async () => {
    const producer = bus.createProducer();
    const record = await producer.sendEvent(paymentEvent('order-7'));
    expect(record.topic).toBe('ingress.stripe.events');
    await expect(producer.sendEvent({ ...paymentEvent('order-7'), orderKey: '' })).rejects.toBeInstanceOf(EventValidationError);
  });

  it("rejects a message over the broker's size limit as non-retriable, delivers its neighbours, and goes on", async () => {
    const producer = bus.createProducer();
    const topic = uniqueName('too-large');
    await producer.send(topic, { key: 'k', value: 'warm-up' });
    // Both brokers refuse a record batch over 1 MiB (Kafka's message.max.bytes default).
    const outcomes = await Promise.allSettled([
      producer.send(topic, { key: 'k', value: 'before' }),
      producer.send(topic, { key: 'k', value: 'x'.repeat(1_100_000) }),
      producer.send(topic, { key: 'k', value: 'after' }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(NonRetriableError);
    expect((await producer.send(topic, { key: 'k', value: 'next' })).topic).toBe(topic);
  });

  it('does not resolve while the broker is silent, and rejects as retriable when it never answers', async () => {
    // A short request timeout so kafkajs's retries run out within the test.
    const impatient = createBus({ brokers: broker.brokers, clientId: 'impatient', requestTimeoutMs: 500 });
    const producer = impatient.createProducer();
    const topic = uniqueName('silent');
    await producer.send(topic, { key: 'k', value: 'warm-up' });
    let settled: 'resolved' | 'rejected' | null = null;
    let error: unknown;
    const resume = broker.stopAnswering();
    const send = producer.send(topic, { key: 'k', value: 'during silence' }).then(
      () => (settled = 'resolved'),
      (err: unknown) => {
        settled = 'rejected';
        error = err;
      },
    );
    await waitFor(() => settled !== null, { timeoutMs: 40_000, description: 'the send to give up' });
    await send;
    expect(settled).toBe('rejected');
    expect(error).toBeInstanceOf(RetriableError);
    resume();
    await impatient.close();
  });

  it('survives dropped connections: sends after every connection is cut still become durable', async () => {
    const producer = bus.createProducer();
    const topic = uniqueName('dropped');
    await producer.send(topic, { key: 'k', value: 'before' });
    await broker.dropConnections();
    const records = await Promise.all([1, 2, 3].map((i) => producer.send(topic, { key: 'k', value: `after-${i}` })));
    expect(records).toHaveLength(3);
  });

  it('flushes queued sends on close and refuses sends afterwards', async () => {
    const producer = bus.createProducer({ lingerMs: 50 });
    const topic = uniqueName('close');
    const pending = Array.from({ length: 10 }, (_, i) => producer.send(topic, { key: 'k', value: String(i) }));
    await producer.close();
    await expect(Promise.all(pending)).resolves.toHaveLength(10);
    await expect(producer.send(topic, { key: 'k', value: 'late' })).rejects.toBeInstanceOf(NonRetriableError);
  });
});

describeOnEmbeddedBroker('needs a broker that refuses or loses one answer on request: fault injection Apache Kafka has no switch for', 'batching producer, under injected broker faults', () => {
  it('rejects every caller of a batch the broker refused, with a mapped error, and recovers for the next', async () => {
    const producer = bus.createProducer();
    const topic = uniqueName('refused');
    await producer.send(topic, { key: 'k', value: 'warm-up' });
    broker.embedded!.faults.failNext('Produce', 1, ErrorCode.INVALID_REQUIRED_ACKS);
    const outcomes = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => producer.send(topic, { key: `k${i}`, value: 'v' })));
    expect(outcomes.every((o) => o.status === 'rejected' && o.reason instanceof NonRetriableError)).toBe(true);

    const after = await producer.send(topic, { key: 'k', value: 'after' });
    expect(after.topic).toBe(topic);
  });

  it('sends each message of a batch refused as too large alone, and each is written once', async () => {
    const producer = bus.createProducer({ lingerMs: 20 });
    const topic = uniqueName('refused-large');
    await producer.send(topic, { key: 'k', value: 'warm-up' });
    broker.embedded!.faults.failNext('Produce', 1, ErrorCode.MESSAGE_TOO_LARGE);
    const sent = await Promise.all(Array.from({ length: 5 }, (_, i) => producer.send(topic, { key: `k${i}`, value: `v${i}` })));
    expect(new Set(sent.map((r) => `${r.partition}/${r.offset}`)).size).toBe(5);
    expect(await recordCount(broker.brokers, topic)).toBe(6);
  });

  it('retries a transient broker error internally without duplicating the message', async () => {
    const producer = bus.createProducer();
    const topic = uniqueName('transient');
    await producer.send(topic, { key: 'k', value: 'warm-up' });
    broker.embedded!.faults.dropResponseNext('Produce', 1);
    const record = await producer.send(topic, { key: 'k', value: 'once' });

    const read: RawRecord[] = [];
    const stopReading = await readTopic(broker, topic, read);
    await waitFor(() => read.length >= 2, { description: 'the message to be readable' });
    await stopReading();
    expect(read.filter((r) => r.value === 'once')).toHaveLength(1);
    expect(read.find((r) => r.value === 'once')?.offset).toBe(record.offset);
  });
});
