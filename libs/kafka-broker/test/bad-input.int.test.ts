import { Partitioners, type Admin, type Kafka } from 'kafkajs';
import { uniqueName, waitFor } from '@orderflow/testing';
import { ErrorCode, jsonLogger, type RunningBroker } from '../src';
import { allApis } from '../src/apis';
import { buildBatch } from './batches';
import { prng, RequestFuzzer, sizePrefix } from './fuzz';
import { produceApi } from '../src/apis/produce';
import { encodeBody, produceV3, RawConnection, requestFrame } from './raw-client';
import { collect, kafkaFor, startTestBroker } from './support';

const MAX_REQUEST_BYTES = 64 * 1024;
const API_VERSIONS = 18;

describe('bad input over a raw socket', () => {
  let broker: RunningBroker;
  let kafka: Kafka;
  let admin: Admin;
  const errorLogs: string[] = [];
  const open: RawConnection[] = [];

  const rejected = async (): Promise<Record<string, number>> => {
    const { values } = await broker.metrics.connectionsRejected.get();
    return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]));
  };
  const totalRejected = async (): Promise<number> => Object.values(await rejected()).reduce((a, b) => a + b, 0);
  const connect = async (): Promise<RawConnection> => {
    const c = await RawConnection.open(broker);
    open.push(c);
    return c;
  };
  const highWatermark = async (topic: string): Promise<string> => (await admin.fetchTopicOffsets(topic))[0]!.high;

  beforeAll(async () => {
    const logger = jsonLogger('error', (line) => errorLogs.push(line));
    broker = await startTestBroker({ maxRequestBytes: MAX_REQUEST_BYTES, logger });
    kafka = kafkaFor(broker, 'bad-input');
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await admin.disconnect();
    await broker.stop();
  });

  afterEach(() => {
    // A handler that throws on input is a broker bug even when the broker survives it.
    expect(errorLogs).toEqual([]);
  });

  // Metadata v1 claiming 1000 topics and carrying none of them.
  const metadataV1Truncated = (): Buffer => requestFrame(3, 1, 1, sizePrefix(1000));

  it.each<[string, () => Buffer, string]>([
    ['a negative size', () => sizePrefix(-5), 'malformed'],
    ['a size below a request header', () => Buffer.concat([sizePrefix(4), Buffer.alloc(4)]), 'malformed'],
    ['a size above maxRequestBytes', () => Buffer.concat([sizePrefix(MAX_REQUEST_BYTES + 1), Buffer.alloc(1024)]), 'oversized'],
    ['an array count larger than the body', metadataV1Truncated, 'malformed'],
    ['an unknown API key', () => requestFrame(9999, 0, 1, Buffer.alloc(0)), 'unknown_api'],
    ['Produce v99', () => requestFrame(0, 99, 1, Buffer.alloc(16)), 'unsupported_version'],
  ])('closes the connection on %s without answering', async (_what, bytes, reason) => {
    const before = (await rejected())[reason] ?? 0;
    const conn = await connect();
    conn.write(bytes());
    await waitFor(() => conn.isClosed, { timeoutMs: 5000, description: 'the broker to close the connection' });
    expect(await conn.nextFrame()).toBeNull();
    expect((await rejected())[reason]).toBe(before + 1);
  });

  it('accepts a request of exactly maxRequestBytes on the same terms', async () => {
    const conn = await connect();
    const header = requestFrame(API_VERSIONS, 0, 1, Buffer.alloc(0)).length - 4;
    // ApiVersions v0 has no body fields; the padding makes the frame as large as allowed.
    const body = await conn.request(API_VERSIONS, 0, Buffer.alloc(MAX_REQUEST_BYTES - header));
    expect(body?.readInt16BE(0)).toBe(ErrorCode.NONE);
    expect(conn.isClosed).toBe(false);
  });

  it('answers ApiVersions v99 with UNSUPPORTED_VERSION in a v0 body listing the supported APIs', async () => {
    const conn = await connect();
    const decodeV0 = (body: Buffer) => {
      const count = body.readInt32BE(2);
      expect(body.length).toBe(6 + count * 6);
      const apis = Array.from({ length: count }, (_, i) => ({
        apiKey: body.readInt16BE(6 + i * 6),
        minVersion: body.readInt16BE(8 + i * 6),
        maxVersion: body.readInt16BE(10 + i * 6),
      }));
      return { errorCode: body.readInt16BE(0), apis };
    };
    const unsupported = decodeV0((await conn.request(API_VERSIONS, 99, Buffer.alloc(8)))!);
    expect(unsupported.errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
    const implemented = [...allApis().values()].map((a) => ({ apiKey: a.key, minVersion: a.minVersion, maxVersion: a.maxVersion }));
    expect(unsupported.apis).toEqual(implemented.sort((a, b) => a.apiKey - b.apiKey));
    // The client retries on the same connection with a version from the list.
    const supported = decodeV0((await conn.request(API_VERSIONS, 0, Buffer.alloc(0)))!);
    expect(supported.errorCode).toBe(ErrorCode.NONE);
    expect(unsupported.apis).toEqual(supported.apis);
  });

  it('answers a Produce whose batch fails its CRC with CORRUPT_MESSAGE and appends nothing', async () => {
    const topic = uniqueName('crc');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const conn = await connect();
    const produce = (records: Buffer) => produceV3(conn, topic, records);

    // The same request path with an intact batch succeeds, so the rejection below is the CRC's doing.
    expect(await produce(buildBatch({ values: ['intact'] }))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0 });
    expect(await highWatermark(topic)).toBe('1');

    const corrupt = buildBatch({ values: ['payload that will be damaged'] });
    corrupt[corrupt.length - 3] ^= 0x01;
    expect(await produce(corrupt)).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE });
    expect(await highWatermark(topic)).toBe('1');

    // A per-partition error, not a protocol violation: the connection stays usable.
    expect(await produce(buildBatch({ values: ['after'] }))).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 1 });
    expect(await highWatermark(topic)).toBe('2');
  });

  it('answers earlier acks=all produces before closing a connection for a bad frame', async () => {
    const topic = uniqueName('drain');
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const conn = await connect();
    const produce = (value: string): Buffer => {
      const request = { transactionalId: null, acks: -1, timeoutMs: 5000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, records: buildBatch({ values: [value] }) }] }] };
      return encodeBody(produceApi.request, request, 3);
    };
    // Three pipelined acks=all produces, then an unknown API, in one write.
    const ids = [conn.send(0, 3, produce('a')), conn.send(0, 3, produce('b')), conn.send(0, 3, produce('c'))];
    conn.write(requestFrame(9999, 0, 99, Buffer.alloc(0)));
    const answered: number[] = [];
    for (let frame = await conn.nextFrame(); frame !== null; frame = await conn.nextFrame()) answered.push(frame.readInt32BE(0));
    expect(answered).toEqual(ids);
    expect(conn.isClosed).toBe(true);
    expect(await highWatermark(topic)).toBe('3');
  });

  it('survives 200 rounds of random frames and still serves kafkajs clients', async () => {
    const fuzzTopic = uniqueName('fuzz');
    await admin.createTopics({ topics: [{ topic: fuzzTopic, numPartitions: 2 }] });
    const names = [fuzzTopic, 'fuzz-group', 'consumer', 'range', 'member-1'];
    const fuzzer = new RequestFuzzer(prng(0x0bad1dea), [...allApis().values()], MAX_REQUEST_BYTES, names);

    const before = await totalRejected();
    let closedByBroker = 0;
    for (let round = 0; round < 200; round++) {
      const conn = await connect();
      const frames = fuzzer.round();
      for (const f of frames) conn.write(f);
      // Requests are handled in order, so an answer to this one means every frame before it was handled.
      // Fuzzed requests carry non-negative correlation IDs; a negative one cannot be mistaken for theirs.
      const sentinel = -1 - round;
      conn.write(requestFrame(API_VERSIONS, 0, sentinel, Buffer.alloc(0)));
      const settled: { outcome?: 'answered' | 'closed' } = {};
      void (async () => {
        for (let f = await conn.nextFrame(); ; f = await conn.nextFrame()) {
          if (f === null) return (settled.outcome = 'closed');
          if (f.readInt32BE(0) === sentinel) return (settled.outcome = 'answered');
        }
      })();
      const outcome = await waitFor(() => settled.outcome, {
        timeoutMs: 5000,
        description: `round ${round} to be answered or closed: ${frames.map((f) => f.toString('hex')).join(' ')}`,
      });
      if (outcome === 'closed') closedByBroker++;
      await conn.close();
    }

    await waitFor(async () => (await totalRejected()) - before === closedByBroker, {
      description: `${closedByBroker} closures for bad input in the metric`,
    });
    // Both outcomes in quantity: the fuzzing reached the handlers, not only the framing and decoding.
    expect(closedByBroker).toBeGreaterThan(50);
    expect(200 - closedByBroker).toBeGreaterThan(30);
    expect(await broker.metrics.registry.metrics()).toMatch(/orderflow_kafka_connections_closed_for_bad_input_total\{reason="malformed"\} [1-9]/);

    // Fuzzed versions must not become label values (see the metrics test).
    const ranges = new Map([...allApis().values()].map((a) => [a.name, a]));
    const mintedSeries = (await broker.metrics.requests.get()).values.filter(({ labels: { api, version } }) => {
      const known = ranges.get(String(api))!;
      return version !== 'unsupported' && !(Number(version) >= known.minVersion && Number(version) <= known.maxVersion);
    });
    expect(mintedSeries).toEqual([]);

    const topic = uniqueName('after-fuzz');
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = kafka.consumer({ groupId: uniqueName('after-fuzz'), maxWaitTimeInMs: 100 });
    await Promise.all([producer.connect(), consumer.connect()]);
    await producer.send({ topic, messages: [{ key: 'k', value: 'still alive' }] });
    const got = await collect(consumer, topic);
    await waitFor(() => got.length === 1, { description: 'the message after the fuzzing' });
    expect(got[0]!.value).toBe('still alive');
    await Promise.all([producer.disconnect(), consumer.disconnect()]);
  });
});
