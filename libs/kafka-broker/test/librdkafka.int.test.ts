import { uniqueName } from '@orderflow/testing';
import type { RunningBroker } from '../src';
import { kcat, librdkafkaVersion } from './kcat';
import { startTestBroker } from './support';

// librdkafka (here through kcat) negotiates versions with ApiVersions v3, uses
// different API versions from kafkajs and supports every compression codec.
describe(`librdkafka ${librdkafkaVersion()} through kcat`, () => {
  let broker: RunningBroker;
  let bootstrap: string;

  beforeAll(async () => {
    broker = await startTestBroker();
    bootstrap = broker.brokers[0]!;
  });
  afterAll(() => broker.stop());

  it('reads cluster metadata', async () => {
    const topic = uniqueName('meta');
    await kcat(['-b', bootstrap, '-t', topic, '-P'], 'x\n');
    const meta = JSON.parse(await kcat(['-b', bootstrap, '-L', '-J']));
    expect(meta.brokers).toEqual([{ id: 0, name: bootstrap }]);
    const t = meta.topics.find((x: { topic: string }) => x.topic === topic);
    expect(t.partitions).toHaveLength(3);
    expect(t.partitions[0]).toMatchObject({ leader: 0, replicas: [{ id: 0 }], isrs: [{ id: 0 }] });
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'])('produces %s batches idempotently and consumes them back unchanged', async (codec) => {
    const topic = uniqueName(`codec-${codec}`);
    const lines = Array.from({ length: 200 }, (_, i) => `key-${i % 7}:value ${i} ${'z'.repeat(i % 50)}`);
    await kcat(['-b', bootstrap, '-t', topic, '-P', '-K:', '-z', codec, '-X', 'enable.idempotence=true', '-X', 'acks=all'], `${lines.join('\n')}\n`);
    const out = await kcat(['-b', bootstrap, '-t', topic, '-C', '-e', '-q', '-f', '%k:%s\n']);
    expect(out.trim().split('\n').sort()).toEqual([...lines].sort());
  });

  it('keeps per-key order within a partition', async () => {
    const topic = uniqueName('order');
    const lines = Array.from({ length: 300 }, (_, i) => `k${i % 5}:${i}`);
    await kcat(['-b', bootstrap, '-t', topic, '-P', '-K:'], `${lines.join('\n')}\n`);
    const out = await kcat(['-b', bootstrap, '-t', topic, '-C', '-e', '-q', '-f', '%k %s %p %o\n']);
    const rows = out.trim().split('\n').map((l) => l.split(' '));
    for (const key of ['k0', 'k1', 'k2', 'k3', 'k4']) {
      const mine = rows.filter((r) => r[0] === key);
      expect(new Set(mine.map((r) => r[2])).size).toBe(1);
      const values = mine.map((r) => Number(r[1]));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });

  it('looks up offsets by timestamp', async () => {
    const topic = uniqueName('ts');
    await kcat(['-b', bootstrap, '-t', topic, '-p', '0', '-P'], 'a\nb\n');
    const out = await kcat(['-b', bootstrap, '-Q', '-t', `${topic}:0:${Date.now() - 60_000}`]);
    expect(out).toMatch(/offset 0\b/);
  });
});
