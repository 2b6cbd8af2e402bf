import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Partitioners, type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { tempDir, uniqueName, waitFor } from '@orderflow/testing';
import type { RunningBroker } from '../src';
import { kafkaFor, startTestBroker } from './support';

const PARTITIONS = 6;
/** Kafka's minimum session timeout by default; a crashed member is noticed after this. */
const SESSION_TIMEOUT_MS = 6000;

/**
 * A consumer in its own process, so a crash can be a real kill -9: the kernel
 * closes its sockets, no LeaveGroup is sent and the broker must notice the
 * silence. It prints every message before returning from eachMessage, hence
 * before kafkajs can commit it.
 */
const CRASHER = `
const { Kafka, logLevel } = require('kafkajs');
const kafka = new Kafka({ clientId: 'crasher', brokers: [process.env.BROKER], logLevel: logLevel.NOTHING });
const consumer = kafka.consumer({ groupId: process.env.GROUP, sessionTimeout: ${SESSION_TIMEOUT_MS}, heartbeatInterval: 300, rebalanceTimeout: 10000, maxWaitTimeInMs: 100 });
(async () => {
  await consumer.connect();
  await consumer.subscribe({ topic: process.env.TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { process.stdout.write(message.value.toString() + '\\n'); } });
})().catch((e) => { console.error(e); process.exit(1); });
`;

describe('consumer groups with kafkajs over TCP', () => {
  const dir = tempDir('consumer-groups-');
  let broker: RunningBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const consumers: Consumer[] = [];
  let crasher: ChildProcess | null = null;

  beforeAll(async () => {
    broker = await startTestBroker({ dataDir: dir.path });
    kafka = kafkaFor(broker, 'groups-test');
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    crasher?.kill('SIGKILL');
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
    await broker.stop();
    dir.remove();
  });

  it('rebalances three members through joins, a leave and a kill -9, processing every message at least once; commits survive a restart', async () => {
    const topic = uniqueName('orders');
    const groupId = uniqueName('group');
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });

    const produced: string[] = [];
    const processed = new Map<string, number>();
    const record = (value: string): void => void processed.set(value, (processed.get(value) ?? 0) + 1);
    const produce = async (n: number): Promise<void> => {
      const values = Array.from({ length: n }, (_, i) => `m-${produced.length + i}`);
      produced.push(...values);
      await producer.send({ topic, messages: values.map((value) => ({ key: value, value })) });
    };
    const allProcessed = (): boolean => produced.every((v) => processed.has(v));
    const members = async (): Promise<number | null> => {
      const [g] = (await admin.describeGroups([groupId])).groups;
      return g?.state === 'Stable' ? g.members.length : null;
    };
    const startConsumer = async (): Promise<Consumer> => {
      const consumer = kafka.consumer({ groupId, sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: 300, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100 });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => record(message.value!.toString()) });
      return consumer;
    };

    // One member takes every partition.
    const first = await startConsumer();
    await produce(200);
    await waitFor(allProcessed, { timeoutMs: 15_000, description: 'the first member to process everything' });

    // Two more join, one of them in another process; the group settles with three.
    const second = await startConsumer();
    let crasherOutput = '';
    let crasherProcessed = 0;
    crasher = spawn(process.execPath, ['-e', CRASHER], {
      cwd: path.join(__dirname, '..'),
      env: { ...process.env, BROKER: broker.brokers[0], GROUP: groupId, TOPIC: topic },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    crasher.stdout!.on('data', (chunk: Buffer) => {
      crasherOutput += chunk.toString();
      const lines = crasherOutput.split('\n');
      crasherOutput = lines.pop()!;
      for (const line of lines) record(line);
      crasherProcessed += lines.length;
    });
    await waitFor(async () => (await members()) === 3, { timeoutMs: 20_000, description: 'a stable group of three' });
    await produce(300);
    await waitFor(allProcessed, { timeoutMs: 15_000, description: 'three members to process the second batch' });
    expect(crasherProcessed).toBeGreaterThan(0);

    // A graceful leave (LeaveGroup) rebalances at once.
    await second.disconnect();
    await waitFor(async () => (await members()) === 2, { timeoutMs: 15_000, description: 'the group to shrink to two' });
    await produce(300);
    await waitFor(allProcessed, { timeoutMs: 15_000, description: 'two members to process the third batch' });

    // kill -9 while messages flow: the broker notices only when the session times out.
    const inFlight = produce(300);
    crasher.kill('SIGKILL');
    await inFlight;
    await produce(300);
    await waitFor(async () => (await members()) === 1, { timeoutMs: SESSION_TIMEOUT_MS + 10_000, description: 'the crashed member to be expired' });
    await waitFor(allProcessed, { timeoutMs: 15_000, description: 'the survivor to take over the crashed member’s partitions' });

    // A newcomer joins the survivor.
    const third = await startConsumer();
    await waitFor(async () => (await members()) === 2, { timeoutMs: 15_000, description: 'the newcomer to join' });
    await produce(300);
    await waitFor(allProcessed, { timeoutMs: 15_000, description: 'everything to be processed' });
    expect(produced.filter((v) => !processed.has(v))).toEqual([]);

    await Promise.all([first.disconnect(), third.disconnect()]);
    const ends = await admin.fetchTopicOffsets(topic);
    const committed = async (a: Admin): Promise<Array<[number, string]>> =>
      (await a.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p): [number, string] => [p.partition, p.offset]).sort((x, y) => x[0] - y[0]);
    const expected = ends.map((p): [number, string] => [p.partition, p.high]).sort((x, y) => x[0] - y[0]);
    await waitFor(async () => JSON.stringify(await committed(admin)) === JSON.stringify(expected), { description: 'final commits' });
    const rebalances = (await broker.metrics.rebalances.get()).values.find((v) => v.labels.group === groupId)?.value ?? 0;
    expect(rebalances).toBeGreaterThanOrEqual(5);

    // The committed offsets come back after a restart, and a new member resumes from them.
    await Promise.all([admin.disconnect(), producer.disconnect()]);
    await broker.stop();
    broker = await startTestBroker({ dataDir: dir.path });
    kafka = kafkaFor(broker, 'groups-test');
    admin = kafka.admin();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await Promise.all([admin.connect(), producer.connect()]);
    expect(await committed(admin)).toEqual(expected);

    processed.clear();
    const before = produced.length;
    await startConsumer();
    await produce(50);
    await waitFor(() => produced.slice(before).every((v) => processed.has(v)), { timeoutMs: 15_000, description: 'the new batch after the restart' });
    expect([...processed.keys()].filter((v) => Number(v.slice(2)) < before)).toEqual([]);
  });
});
