import { Partitioners } from 'kafkajs';
import { uniqueName, waitFor } from '@orderflow/testing';
import { ErrorCode, type Logger, type RunningBroker } from '../src';
import { fetchApi } from '../src/apis/fetch';
import { buildBatch } from './batches';
import { decodeBody, encodeBody, produceV3, RawConnection, requestFrame } from './raw-client';
import { collect, kafkaFor, startTestBroker } from './support';

/** One sample from Prometheus text exposition: the first series of `name` whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Sizes of the record batches in a fetched record set, read from their headers. */
function batchSizes(records: Buffer): number[] {
  const sizes: number[] = [];
  for (let pos = 0; pos + 12 <= records.length; pos += sizes[sizes.length - 1]!) sizes.push(records.readInt32BE(pos + 8) + 12);
  return sizes;
}

interface FetchResponse {
  responses: Array<{ partitions: Array<{ errorCode: number; records: Buffer | null }> }>;
}

async function fetchAll(conn: RawConnection, topic: string): Promise<Buffer> {
  const partitions = [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }];
  const request = { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, topics: [{ topic, partitions }] };
  const body = await conn.request(1, 4, encodeBody(fetchApi.request, request, 4));
  const [p] = decodeBody<FetchResponse>(fetchApi.response, body!, 4).responses[0]!.partitions;
  expect(p!.errorCode).toBe(ErrorCode.NONE);
  return p!.records ?? Buffer.alloc(0);
}

describe('Prometheus metrics', () => {
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await startTestBroker();
  });

  afterAll(async () => {
    await broker.stop();
  });

  const scrape = (): Promise<string> => broker.metrics.registry.metrics();

  it('count requests, bytes, records, partition sizes and connections as clients produce and consume', async () => {
    const kafka = kafkaFor(broker, 'metrics');
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    const [rawTopic, clientTopic] = [uniqueName('raw'), uniqueName('client')];
    await admin.createTopics({ topics: [rawTopic, clientTopic].map((topic) => ({ topic, numPartitions: 1 })) });

    // Batches built here have sizes known without asking the broker.
    const raw = await RawConnection.open(broker);
    const batches = [['a'], ['b', 'c'], ['d', 'e', 'f']].map((values) => buildBatch({ values }));
    for (const batch of batches) expect(await produceV3(raw, rawTopic, batch)).toMatchObject({ errorCode: ErrorCode.NONE });

    await producer.send({ topic: clientTopic, messages: Array.from({ length: 4 }, (_, i) => ({ value: `first-${i}` })) });
    await producer.send({ topic: clientTopic, messages: Array.from({ length: 6 }, (_, i) => ({ value: `second-${i}` })) });
    const consumer = kafka.consumer({ groupId: uniqueName('metrics'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    const got = await collect(consumer, clientTopic);
    await waitFor(() => got.length === 10, { description: 'the ten messages consumed' });

    let text = await scrape();
    expect(sample(text, 'orderflow_kafka_requests_total', { api: 'Produce', version: '3' })).toBe(3);
    expect(sample(text, 'orderflow_kafka_requests_total', { api: 'Fetch' })).toBeGreaterThan(0);
    expect(sample(text, 'orderflow_kafka_bytes_in_total')).toBeGreaterThan(0);
    expect(sample(text, 'orderflow_kafka_bytes_out_total')).toBeGreaterThan(0);
    expect(sample(text, 'orderflow_kafka_connections')).toBeGreaterThanOrEqual(4);

    const rawBytes = batches.reduce((n, b) => n + b.length, 0);
    expect(rawBytes).toBeGreaterThan(0);
    expect(sample(text, 'orderflow_kafka_partition_size_bytes', { topic: rawTopic, partition: '0' })).toBe(rawBytes);
    expect(sample(text, 'orderflow_kafka_partition_end_offset', { topic: rawTopic, partition: '0' })).toBe(6);
    expect(sample(text, 'orderflow_kafka_produced_records_total', { topic: rawTopic })).toBe(6);

    // kafkajs chose its own batch layout; the log serves back exactly the batches it stored.
    const clientSizes = batchSizes(await fetchAll(raw, clientTopic));
    expect(clientSizes).toHaveLength(2);
    expect(sample(text, 'orderflow_kafka_partition_size_bytes', { topic: clientTopic, partition: '0' })).toBe(clientSizes.reduce((a, b) => a + b));
    expect(sample(text, 'orderflow_kafka_partition_end_offset', { topic: clientTopic, partition: '0' })).toBe(10);
    expect(sample(text, 'orderflow_kafka_produced_records_total', { topic: clientTopic })).toBe(10);

    await Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect(), raw.close()]);
    await waitFor(async () => sample(await scrape(), 'orderflow_kafka_connections') === 0, { description: 'the connection gauge back at 0' });
    text = await scrape();
    // Request and byte counters are cumulative: disconnecting does not take them back.
    expect(sample(text, 'orderflow_kafka_requests_total', { api: 'Produce', version: '3' })).toBe(3);
    expect(sample(text, 'orderflow_kafka_partition_end_offset', { topic: clientTopic, partition: '0' })).toBe(10);
  });

  it('label requests of unsupported versions as one series, so clients cannot mint series at will', async () => {
    for (const [apiKey, version] of [[0, 99], [0, -5], [0, 1234], [18, 77]] as const) {
      const conn = await RawConnection.open(broker);
      conn.write(requestFrame(apiKey, version, 1, Buffer.alloc(0)));
      if (apiKey === 18) expect(await conn.nextFrame()).not.toBeNull();
      await (apiKey === 18 ? conn.close() : conn.closed);
    }
    const text = await scrape();
    expect(sample(text, 'orderflow_kafka_requests_total', { api: 'Produce', version: 'unsupported' })).toBe(3);
    expect(sample(text, 'orderflow_kafka_requests_total', { api: 'ApiVersions', version: 'unsupported' })).toBe(1);
    expect(text).not.toMatch(/version="(99|-5|1234|77)"/);
  });
});

describe('structured logs', () => {
  interface Entry {
    level: string;
    msg: string;
    fields: Record<string, unknown>;
    /** The entry as a log shipper would store it, Buffers included as their bytes. */
    line: string;
  }
  const entries: Entry[] = [];
  const capture =
    (level: string) =>
    (fields: object, msg: string): void => {
      const line = JSON.stringify({ level, ...fields, msg }, (_k, v: unknown) =>
        v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('latin1') : v,
      );
      entries.push({ level, msg, fields: fields as Record<string, unknown>, line });
    };
  const logger: Logger = { debug: capture('debug'), info: capture('info'), warn: capture('warn'), error: capture('error') };
  let broker: RunningBroker;

  beforeAll(async () => {
    broker = await startTestBroker({ logger });
  });

  afterAll(async () => {
    await broker.stop();
  });

  it('warn on bad requests with a reason, inform on topic creation, and never log record payloads', async () => {
    const secret = `sk_live_${uniqueName('secret').replace(/-/g, '')}`;
    const kafka = kafkaFor(broker, 'logs');
    const admin = kafka.admin();
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    const topic = uniqueName('logged');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    expect(entries).toContainEqual(expect.objectContaining({ level: 'info', msg: 'topic created', fields: expect.objectContaining({ topic, partitions: 1 }) }));

    await producer.send({ topic, messages: [{ key: secret, value: secret, headers: { token: secret } }] });
    const consumer = kafka.consumer({ groupId: uniqueName('logs'), maxWaitTimeInMs: 100 });
    await consumer.connect();
    const got = await collect(consumer, topic);
    await waitFor(() => got.length === 1, { description: 'the secret message consumed' });
    expect(got[0]!.value).toBe(secret);

    // Rejections are where payloads are most tempting to log: a corrupt batch, then undecodable requests.
    const raw = await RawConnection.open(broker);
    const corrupt = buildBatch({ values: [secret] });
    // Damage the stored CRC, not the payload, so the secret is intact in the rejected bytes.
    corrupt[17] ^= 0xff;
    expect(await produceV3(raw, topic, corrupt)).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE });
    expect(entries).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ topic, reason: expect.any(String) }) }));

    raw.write(requestFrame(9999, 0, 7, Buffer.from(secret)));
    await raw.closed;
    expect(entries).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ reason: 'unknown_api' }) }));
    const truncated = await RawConnection.open(broker);
    truncated.write(requestFrame(0, 3, 8, Buffer.concat([Buffer.from([0xff, 0xff, 0, 1, 0, 0, 0x13, 0x88, 0, 0, 0, 1]), Buffer.from(secret)])));
    await truncated.closed;
    expect(entries).toContainEqual(expect.objectContaining({ level: 'warn', fields: expect.objectContaining({ reason: 'malformed', api: 'Produce' }) }));

    await Promise.all([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
    // Base64 of bytes around the secret encodes it differently per alignment; the inner groups of each are fixed.
    const base64 = [0, 1, 2].map((k) => Buffer.concat([Buffer.alloc(k), Buffer.from(secret)]).toString('base64').slice(4, -4));
    const forms = [secret, Buffer.from(secret).toString('hex'), ...base64];
    const leaks = entries.filter((e) => forms.some((f) => e.line.includes(f)));
    expect(leaks).toEqual([]);
    expect(entries.filter((e) => e.level === 'error')).toEqual([]);
  });
});
