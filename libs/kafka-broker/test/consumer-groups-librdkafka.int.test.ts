import { spawn, type ChildProcess } from 'node:child_process';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { uniqueName, waitFor } from '@orderflow/testing';
import type { RunningBroker } from '../src';
import { kcat, librdkafkaVersion } from './kcat';
import { kafkaFor, startTestBroker } from './support';

/** A kcat balanced consumer (librdkafka's KafkaConsumer) that runs until stopped. */
function groupMember(bootstrap: string, groupId: string, topic: string): { proc: ChildProcess; lines: string[]; stop(): Promise<number | null> } {
  const proc = spawn('kcat', ['-b', bootstrap, '-G', groupId, '-q', '-u', '-f', '%s\n', '-X', 'auto.offset.reset=earliest', topic], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  proc.stdout!.on('data', (c: Buffer) => {
    const parts = (partial + c.toString()).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    lines,
    // SIGTERM makes kcat close its consumer: final commit, then LeaveGroup.
    stop: () => {
      proc.kill('SIGTERM');
      return exited;
    },
  };
}

describe(`consumer groups with librdkafka ${librdkafkaVersion()} (kcat -G)`, () => {
  let broker: RunningBroker;
  let bootstrap: string;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  const running: Array<{ stop(): Promise<number | null> }> = [];

  beforeAll(async () => {
    broker = await startTestBroker();
    bootstrap = broker.brokers[0]!;
    kafka = kafkaFor(broker, 'kcat-groups');
    admin = kafka.admin();
    producer = kafka.producer();
    await Promise.all([admin.connect(), producer.connect()]);
  });

  afterAll(async () => {
    await Promise.allSettled(running.map((m) => m.stop()));
    await Promise.allSettled([admin.disconnect(), producer.disconnect()]);
    await broker.stop();
  });

  const send = (topic: string, values: string[]): Promise<unknown> =>
    producer.send({ topic, messages: values.map((value) => ({ key: value, value })) });

  const committedVsEnd = async (groupId: string, topic: string): Promise<[string, string]> => {
    const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions
      .sort((a, b) => a.partition - b.partition)
      .map((p) => p.offset);
    const ends = (await admin.fetchTopicOffsets(topic)).sort((a, b) => a.partition - b.partition).map((p) => p.high);
    return [committed.join(','), ends.join(',')];
  };

  it('consumes in a group, commits on close and resumes from the committed offsets', async () => {
    const topic = uniqueName('kg');
    const groupId = uniqueName('kcat-group');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const first = Array.from({ length: 90 }, (_, i) => `a-${i}`);
    await send(topic, first);

    const args = ['-b', bootstrap, '-G', groupId, '-e', '-q', '-f', '%s\n', '-X', 'auto.offset.reset=earliest', topic];
    expect((await kcat(args)).trim().split('\n').sort()).toEqual([...first].sort());
    const [committed, ends] = await committedVsEnd(groupId, topic);
    expect(committed).toBe(ends);

    const second = Array.from({ length: 30 }, (_, i) => `b-${i}`);
    await send(topic, second);
    expect((await kcat(args)).trim().split('\n').sort()).toEqual([...second].sort());
  });

  it('splits partitions between two members and hands them over when one leaves', async () => {
    const topic = uniqueName('kg2');
    const groupId = uniqueName('kcat-pair');
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    const a = groupMember(bootstrap, groupId, topic);
    const b = groupMember(bootstrap, groupId, topic);
    running.push(a, b);
    await waitFor(
      async () => {
        const [g] = (await admin.describeGroups([groupId])).groups;
        return g?.state === 'Stable' && g.members.length === 2 && g.protocolType === 'consumer' && g.members.every((m) => m.memberAssignment.length > 0);
      },
      { timeoutMs: 20_000, description: 'two kcat members in a stable group, both assigned' },
    );

    const batch1 = Array.from({ length: 80 }, (_, i) => `p-${i}`);
    await send(topic, batch1);
    await waitFor(() => batch1.every((v) => a.lines.includes(v) || b.lines.includes(v)), { timeoutMs: 20_000, description: 'both members to consume the batch' });
    expect(a.lines.length).toBeGreaterThan(0);
    expect(b.lines.length).toBeGreaterThan(0);

    // b leaves; a takes over all partitions and resumes where b committed.
    expect(await b.stop()).toBe(0);
    const batch2 = Array.from({ length: 40 }, (_, i) => `q-${i}`);
    await send(topic, batch2);
    await waitFor(() => batch2.every((v) => a.lines.includes(v)), { timeoutMs: 20_000, description: 'the remaining member to consume everything' });
    expect(await a.stop()).toBe(0);
    const [committed, ends] = await committedVsEnd(groupId, topic);
    expect(committed).toBe(ends);
    const seen = [...a.lines, ...b.lines];
    expect([...batch1, ...batch2].filter((v) => !seen.includes(v))).toEqual([]);
  });
});
