import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { runKafkaTool, startKafka, type KafkaCluster } from '../src';

const quiet = { clientId: 'apache-kafka-test', logLevel: logLevel.NOTHING };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until<T>(condition: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function withAdmin<T>(brokers: string[], fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Kafka({ ...quiet, brokers }).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}

describe('one KRaft node', () => {
  it('serves metadata, keeps messages, and is stopped by its PID with its temporary folder removed', async () => {
    const kafka = await startKafka();
    const [node] = kafka.nodes;
    const pid = node.pid!;
    try {
      expect(kafka.brokers).toEqual([node.address]);
      expect(alive(pid)).toBe(true);
      const client = new Kafka({ ...quiet, brokers: kafka.brokers });
      const producer = client.producer({ idempotent: true });
      await producer.connect();
      await producer.send({ topic: 'one-node', acks: -1, messages: [{ key: 'k', value: 'hello' }] });
      await producer.disconnect();
      const offsets = await withAdmin(kafka.brokers, (admin) => admin.fetchTopicOffsets('one-node'));
      expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(1);
    } finally {
      await kafka.stop();
    }
    expect(alive(pid)).toBe(false);
    expect(node.running).toBe(false);
    expect(fs.existsSync(kafka.dataDir)).toBe(false);
  });

  it('finds its topics again when started on the same data folder', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'apache-kafka-test-'));
    try {
      const first = await startKafka({ dataDir });
      await withAdmin(first.brokers, (admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic: 'kept', numPartitions: 2 }] }));
      await first.stop();
      const second = await startKafka({ dataDir });
      try {
        const { topics } = await withAdmin(second.brokers, (admin) => admin.fetchTopicMetadata({ topics: ['kept'] }));
        expect(topics[0].partitions).toHaveLength(2);
      } finally {
        await second.stop();
      }
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a 3-broker cluster', () => {
  let kafka: KafkaCluster;
  beforeAll(async () => {
    kafka = await startKafka({ nodes: 3 });
  }, 120_000);
  afterAll(async () => {
    await kafka?.stop();
  });

  it('creates topics with 3 replicas and min.insync.replicas 2, as kafka-topics describes them', async () => {
    const created = await runKafkaTool('kafka-topics', ['--bootstrap-server', kafka.brokers.join(','), '--create', '--topic', 'replicated', '--partitions', '3']);
    expect(created).toMatchObject({ code: 0, stdout: expect.stringContaining('Created topic replicated') });
    const described = await runKafkaTool('kafka-topics', ['--bootstrap-server', kafka.brokers[0], '--describe', '--topic', 'replicated']);
    expect(described.stdout).toMatch(/PartitionCount: 3\s+ReplicationFactor: 3\s+Configs: min\.insync\.replicas=2/);
    const isr = described.stdout.split('\n').filter((line) => /Partition: \d/.test(line)).map((line) => /Isr: ([\d,]+)/.exec(line)?.[1].split(',').length);
    expect(isr).toEqual([3, 3, 3]);
  });

  it('keeps taking acks=all writes with one broker killed, and the broker rejoins every ISR when started again', async () => {
    const topic = 'survives';
    await withAdmin(kafka.brokers, (admin) => admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] }));
    const leaderOf0 = await withAdmin(kafka.brokers, async (admin) => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.find((p) => p.partitionId === 0)!.leader);
    const victim = kafka.node(leaderOf0);
    const survivors = kafka.nodes.filter((n) => n !== victim).map((n) => n.address);
    await victim.kill();
    expect(victim.running).toBe(false);

    // Until the controller notices (broker.session.timeout.ms), metadata still names the victim:
    // kafkajs's idempotent producer may fail to connect to it while it starts, as a client
    // would; a client that tries again is served by the survivors.
    const written = await until(async () => {
      const producer = new Kafka({ ...quiet, brokers: survivors, retry: { retries: 20, maxRetryTime: 2_000 } }).producer({ idempotent: true });
      try {
        await producer.connect();
        return await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
      } finally {
        await producer.disconnect();
      }
    }, 'an acks=all write taken by the survivors');
    expect(written.every((r) => r.errorCode === 0)).toBe(true);
    const moved = await withAdmin(survivors, async (admin) => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.find((p) => p.partitionId === 0)!.leader);
    expect(moved).not.toBe(leaderOf0);

    await victim.start();
    await until(
      () => withAdmin(kafka.brokers, async (admin) => (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions.every((p) => p.isr.length === 3)),
      `broker ${leaderOf0} back in every ISR of ${topic}`,
    );
  }, 120_000);
});

describe('orderflow-apache-kafka start', () => {
  it('prints the bootstrap list once the node serves, and stops it on SIGTERM', async () => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'dist', 'cli.js'), 'start'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const brokers = await until(async () => /^KAFKA_BROKERS=(\S+)$/m.exec(out)?.[1], 'the KAFKA_BROKERS line');
    const pid = Number(/pid (\d+)/.exec(out)?.[1]);
    expect(alive(pid)).toBe(true);
    const { brokers: described } = await withAdmin(brokers.split(','), (admin) => admin.describeCluster());
    expect(described.map((b) => `${b.host}:${b.port}`)).toEqual([brokers]);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(alive(pid)).toBe(false);
  }, 90_000);
});
