import { createBus, sendEach, type BatchingProducer, type Bus } from '@orderflow/kafka';
import { recordCount, startTestBroker, uniqueName, waitFor, type TestBroker } from '@orderflow/testing';
import { Registry } from 'prom-client';
import {
  discardSetAsideOutbox,
  enqueueMany,
  listSetAsideOutbox,
  requeueSetAsideOutbox,
  startOutboxRelay,
  type Database,
  type OutboxMessage,
  type OutboxRelay,
  type OutboxRelayOptions,
} from '../src';
import { backendKinds, silentLogger, useOpenedBackend } from './support/backends';

interface Row {
  id: string;
  value: string;
  published: boolean;
  set_aside_reason: string | null;
  last_error: string | null;
  attempts: number;
}

/** Every outbox row, its value shortened to what the tests compare. */
const rows = (db: Database) =>
  db.sql.query<Row>(
    `SELECT id::text AS id, convert_from(substring(value FROM 1 FOR 20), 'UTF8') AS value, published_at IS NOT NULL AS published,
       set_aside_reason, last_error, attempts FROM outbox o ORDER BY o.id`,
  );

const metric = async (registry: Registry, name: string, labels: Record<string, string> = {}) => {
  const { values } = await registry.getSingleMetric(name)!.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
};

const TOO_LARGE = 'too-large:' + 'x'.repeat(1_100_000);

let broker: TestBroker;
let bus: Bus;

beforeAll(async () => {
  broker = await startTestBroker();
  bus = createBus({ brokers: broker.brokers, clientId: 'outbox-set-aside-test', requestTimeoutMs: 5_000 });
});

afterAll(async () => {
  await bus?.close();
  await broker?.stop();
});

describe.each(backendKinds)('outbox relay setting aside what cannot be published, on %s', (kind) => {
  const opened = useOpenedBackend(kind);
  const relays: OutboxRelay[] = [];
  let registry: Registry;

  beforeEach(async () => {
    await opened.db.sql.exec('TRUNCATE outbox');
    registry = new Registry();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
  });

  const start = (producer: BatchingProducer, options: Partial<OutboxRelayOptions> = {}) => {
    const relay = startOutboxRelay({
      db: opened.db,
      publish: (records) => sendEach(producer, records),
      batchSize: 10,
      pollIntervalMs: 60_000,
      backoff: { initialMs: 5, maxMs: 20 },
      logger: silentLogger,
      registry,
      ...options,
    });
    relays.push(relay);
    return relay;
  };

  const enqueue = (messages: OutboxMessage[]) => opened.prisma.$transaction((tx) => enqueueMany(tx, messages));

  const settled = (expected: number) =>
    waitFor(
      async () => {
        const current = await rows(opened.db);
        return current.filter((r) => r.published || r.set_aside_reason !== null).length === expected ? current : null;
      },
      { description: `${expected} rows published or set aside` },
    );

  it('sets aside a message too large for the topic in the middle of a batch, with its reason, and publishes its neighbours exactly once', async () => {
    const topic = uniqueName('outbox-too-large');
    await enqueue([
      { topic, key: 'order-1', value: 'one' },
      { topic, key: 'order-2', value: 'two' },
      { topic, key: 'order-3', value: TOO_LARGE },
      { topic, key: 'order-4', value: 'four' },
      { topic, key: 'order-5', value: 'five' },
    ]);
    const relay = start(bus.createProducer());
    relay.notify();

    const after = await settled(5);
    expect(after.map((r) => [r.value, r.published, r.set_aside_reason])).toEqual([
      ['one', true, null],
      ['two', true, null],
      ['too-large:xxxxxxxxxx', false, 'unpublishable'],
      ['four', true, null],
      ['five', true, null],
    ]);
    expect(after[2].last_error).toMatch(/over the limit of 1048588/);
    expect(after[2].attempts).toBe(1);

    // The relay goes on, and the neighbours were never published again.
    await enqueue([{ topic, key: 'order-6', value: 'six' }]);
    relay.notify();
    await settled(6);
    expect(await recordCount(broker.brokers, topic)).toBe(5);

    expect(await metric(registry, 'orderflow_outbox_set_aside_total', { reason: 'unpublishable' })).toBe(1);
    expect(await metric(registry, 'orderflow_outbox_set_aside_rows')).toBe(1);
    const [listed] = await listSetAsideOutbox(opened.db.sql);
    expect(listed).toMatchObject({ id: after[2].id, topic, key: 'order-3', reason: 'unpublishable', held: 0, attempts: 1 });
    expect(listed.valueBytes).toBe(Buffer.byteLength(TOO_LARGE));
  });

  it('holds the later rows of a set-aside row’s key, lets other keys flow, and releases them in order once it is requeued', async () => {
    const topic = uniqueName('outbox-held');
    await enqueue([
      { topic, key: 'order-1', value: 'first' },
      { topic, key: 'order-1', value: 'x'.repeat(20_000) },
      { topic, key: 'order-2', value: 'other key' },
      { topic, key: 'order-1', value: 'third' },
    ]);
    // A topic limit lower than the message: what a smaller max.message.bytes does.
    const strict = start(bus.createProducer({ maxMessageBytes: 10_000 }));
    strict.notify();
    await settled(3);
    await enqueue([{ topic, key: 'order-1', value: 'fourth' }]);
    strict.notify();
    await waitFor(async () => (await metric(registry, 'orderflow_outbox_held_rows')) === 2, { description: 'two held rows counted' });

    expect((await rows(opened.db)).map((r) => [r.value, r.published, r.set_aside_reason])).toEqual([
      ['first', true, null],
      ['xxxxxxxxxxxxxxxxxxxx', false, 'unpublishable'],
      ['other key', true, null],
      ['third', false, null],
      ['fourth', false, null],
    ]);
    const [aside] = await listSetAsideOutbox(opened.db.sql);
    expect(aside.held).toBe(2);

    // The limit raised (a relay whose producer allows the default), the row requeued.
    await strict.stop();
    relays.splice(0);
    const relay = start(bus.createProducer());
    expect(await requeueSetAsideOutbox(opened.db.sql, [aside.id])).toBe(1);
    relay.notify();
    await settled(5);

    const read = await readValues(topic, 5);
    expect(read.filter((r) => r.key === 'order-1').map((r) => r.value.slice(0, 5))).toEqual(['first', 'xxxxx', 'third', 'fourt']);
    expect(await listSetAsideOutbox(opened.db.sql)).toEqual([]);
  });

  it('discarding a set-aside row releases the rows held behind it', async () => {
    const topic = uniqueName('outbox-discard');
    await enqueue([
      { topic, key: 'order-1', value: TOO_LARGE },
      { topic, key: 'order-1', value: 'after it' },
    ]);
    const relay = start(bus.createProducer());
    relay.notify();
    const [aside] = await waitFor(async () => {
      const listed = await listSetAsideOutbox(opened.db.sql);
      return listed.length === 1 ? listed : null;
    });
    expect(aside.held).toBe(1);

    expect(await discardSetAsideOutbox(opened.db.sql, [aside.id])).toBe(1);
    relay.notify();
    await waitFor(async () => (await rows(opened.db)).every((r) => r.published), { description: 'the held row published' });
    expect(await recordCount(broker.brokers, topic)).toBe(1);
  });
});

/** The records on `topic` (exactly `count` of them), keys and values as text, in offset order per partition. */
async function readValues(topic: string, count: number): Promise<{ key: string | null; value: string }[]> {
  expect(await recordCount(broker.brokers, topic)).toBe(count);
  const { Kafka, logLevel } = await import('kafkajs');
  const consumer = new Kafka({ clientId: 'test-reader', brokers: broker.brokers, logLevel: logLevel.NOTHING }).consumer({ groupId: uniqueName('reader'), maxWaitTimeInMs: 100 });
  const read: { key: string | null; value: string }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void read.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? '' }) });
    await waitFor(() => read.length === count, { description: `${count} records read from ${topic}` });
    return read;
  } finally {
    await consumer.disconnect();
  }
}
