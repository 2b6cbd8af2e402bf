import { KAFKA_VERSION, runKafkaTool, startKafka, type KafkaCluster } from '@orderflow/apache-kafka';
import { uniqueName, waitFor } from '@orderflow/testing';
import type { RunningBroker } from '../src';
import { lagByPartition, onBoth, succeeded, tableRows, topicDescription, type ToolTarget } from './java-tools';
import { startTestBroker } from './support';

/** The keyed lines an operator types into the console producer: four keys over three partitions. */
const FIRST = Array.from({ length: 12 }, (_, i) => `k${i % 4}:v${i}`);
const MORE = Array.from({ length: 5 }, (_, i) => `k${i % 4}:late${i}`);
const lines = (l: readonly string[]): string => `${l.join('\n')}\n`;
/** The console producer reading `key:value` lines. */
const keyedProducer = (topic: string): string[] => ['--topic', topic, '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:'];

/**
 * Kafka's own command-line tools, as an operator runs them, against the embedded broker and, in
 * the same invocation, against a single Apache Kafka node: the reference defines what is right.
 * The tests are one session in order (a topic, then its group); each tool run is a JVM start, so
 * every step runs on both brokers at once.
 */
describe(`Apache Kafka ${KAFKA_VERSION}'s command-line tools against the embedded broker, beside Apache Kafka`, () => {
  let embedded: RunningBroker;
  let apache: KafkaCluster;
  let targets: ToolTarget[];
  const topic = uniqueName('tools');
  const group = uniqueName('tools-group');

  beforeAll(async () => {
    [embedded, apache] = await Promise.all([startTestBroker(), startKafka({ heap: '384m' })]);
    targets = [
      { name: 'embedded', bootstrap: embedded.brokers[0]!, nodeId: 0 },
      { name: 'apache', bootstrap: apache.brokers[0]!, nodeId: apache.nodes[0]!.id },
    ];
  }, 120_000);

  afterAll(async () => {
    await Promise.all([embedded?.stop(), apache?.stop({ graceMs: 0 })]);
  });

  it('kafka-topics creates, lists and describes a topic as one node shows it: partitions, leader, replicas and ISR, topic ID, its config', async () => {
    const created = await onBoth(targets, 'kafka-topics', ['--create', '--topic', topic, '--partitions', '3', '--replication-factor', '1', '--config', 'retention.ms=3600000']);
    expect(succeeded(created.embedded)).toBe(`Created topic ${topic}.\n`);
    expect(succeeded(created.apache)).toBe(`Created topic ${topic}.\n`);

    const listed = await onBoth(targets, 'kafka-topics', ['--list']);
    expect(succeeded(listed.embedded).split('\n')).toContain(topic);
    expect(succeeded(listed.apache).split('\n')).toContain(topic);

    const described = await onBoth(targets, 'kafka-topics', ['--describe', '--topic', topic]);
    const mine = topicDescription(succeeded(described.embedded), 0);
    const reference = topicDescription(succeeded(described.apache), targets[1]!.nodeId);
    expect(mine.shape).toBe(reference.shape);
    expect(mine.shape).toContain(`Topic: ${topic}\tTopicId: <id>\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: <configs>\n`);
    expect(mine.shape).toContain(`\tTopic: ${topic}\tPartition: 2\tLeader: <node>\tReplicas: <node>\tIsr: <node>\tElr: \tLastKnownElr: \n`);
    expect(mine.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // Both list the topic's own setting; beyond it each lists the broker settings that differ from
    // Kafka's defaults: the embedded broker's 64 MiB segments, the reference node's explicit
    // min.insync.replicas (libs/apache-kafka's server.properties).
    expect(mine.configs).toEqual({ 'retention.ms': '3600000', 'segment.bytes': String(64 * 1024 * 1024) });
    expect(reference.configs).toMatchObject({ 'retention.ms': '3600000' });
  });

  it('the console producer writes keyed lines and a console consumer in a group reads them back: same partitions, offsets, keys and values', async () => {
    const produced = await onBoth(targets, 'kafka-console-producer', keyedProducer(topic), lines(FIRST));
    succeeded(produced.embedded);
    succeeded(produced.apache);

    const consumerArgs = ['--topic', topic, '--group', group, '--from-beginning', '--max-messages', String(FIRST.length), '--timeout-ms', '30000'];
    const printing = ['print.key', 'print.partition', 'print.offset'].flatMap((p) => ['--formatter-property', `${p}=true`]);
    const consumed = await onBoth(targets, 'kafka-console-consumer', [...consumerArgs, ...printing]);
    const read = (stdout: string) => stdout.trim().split('\n').sort();
    expect(read(succeeded(consumed.embedded))).toEqual(read(succeeded(consumed.apache)));
    expect(consumed.embedded.stderr).toContain(`Processed a total of ${FIRST.length} messages`);
    const keyAndValue = read(consumed.embedded.stdout).map((l) => l.split('\t').slice(2).join(':'));
    expect(keyAndValue.sort()).toEqual([...FIRST].sort());
  });

  it('kafka-consumer-groups shows the committed and log-end offsets with lag 0 once the group read everything, then the lag of what came since', async () => {
    const caughtUp = await onBoth(targets, 'kafka-consumer-groups', ['--describe', '--group', group]);
    const before = lagByPartition(succeeded(caughtUp.embedded));
    expect(before).toEqual(lagByPartition(succeeded(caughtUp.apache)));
    expect(before.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of before) expect(p).toMatchObject({ current: p.logEnd, lag: 0 });
    expect(before.reduce((sum, p) => sum + p.logEnd, 0)).toBe(FIRST.length);
    expect(tableRows(caughtUp.embedded.stdout).every((r) => r['CONSUMER-ID'] === '-')).toBe(true);

    const more = await onBoth(targets, 'kafka-console-producer', keyedProducer(topic), lines(MORE));
    succeeded(more.embedded);
    succeeded(more.apache);
    const behind = await onBoth(targets, 'kafka-consumer-groups', ['--describe', '--group', group]);
    const after = lagByPartition(succeeded(behind.embedded));
    expect(after).toEqual(lagByPartition(succeeded(behind.apache)));
    expect(after.map((p) => p.current)).toEqual(before.map((p) => p.current));
    for (const p of after) expect(p.lag).toBe(p.logEnd - p.current);
    expect(after.reduce((sum, p) => sum + p.lag, 0)).toBe(MORE.length);
    expect(after.some((p) => p.lag > 0)).toBe(true);
  });

  it('kafka-consumer-groups --list names the group with its type and state', async () => {
    const listed = await onBoth(targets, 'kafka-consumer-groups', ['--list', '--type', '--state']);
    expect(succeeded(listed.embedded)).toBe(succeeded(listed.apache));
    expect(tableRows(listed.embedded.stdout)).toEqual([{ GROUP: group, TYPE: 'Classic', STATE: 'Empty' }]);
  });

  it('kafka-consumer-groups --reset-offsets --to-earliest --execute moves the group back to offset 0; its lag is then the whole log', async () => {
    const reset = await onBoth(targets, 'kafka-consumer-groups', ['--reset-offsets', '--to-earliest', '--group', group, '--topic', topic, '--execute']);
    const newOffsets = (stdout: string) => tableRows(stdout).map((r) => `${r.PARTITION}:${r['NEW-OFFSET']}`).sort();
    expect(newOffsets(succeeded(reset.embedded))).toEqual(['0:0', '1:0', '2:0']);
    expect(newOffsets(succeeded(reset.apache))).toEqual(['0:0', '1:0', '2:0']);

    const described = await onBoth(targets, 'kafka-consumer-groups', ['--describe', '--group', group]);
    const rewound = lagByPartition(succeeded(described.embedded));
    expect(rewound).toEqual(lagByPartition(succeeded(described.apache)));
    for (const p of rewound) expect(p).toMatchObject({ current: 0, lag: p.logEnd });
    expect(rewound.reduce((sum, p) => sum + p.lag, 0)).toBe(FIRST.length + MORE.length);
  });

  it('kafka-consumer-groups shows a running console consumer as the member holding all partitions, and refuses to reset its group', async () => {
    const live = uniqueName('tools-live');
    const total = FIRST.length + MORE.length;
    // Reads everything there is and then waits for one more line, so it is a member while the
    // group is described; the line produced at the end lets it finish.
    const consuming = targets.map((t) =>
      runKafkaTool('kafka-console-consumer', ['--bootstrap-server', t.bootstrap, '--topic', topic, '--group', live, '--from-beginning', '--max-messages', String(total + 1), '--timeout-ms', '60000']),
    );
    try {
      const members = await waitFor(
        async () => {
          const described = await onBoth(targets, 'kafka-consumer-groups', ['--describe', '--group', live, '--members']);
          const rows = { embedded: tableRows(described.embedded.stdout), apache: tableRows(described.apache.stdout) };
          return rows.embedded[0]?.['#PARTITIONS'] === '3' && rows.apache[0]?.['#PARTITIONS'] === '3' ? rows : null;
        },
        { timeoutMs: 45_000, intervalMs: 200, description: 'the console consumers to hold all three partitions' },
      );
      for (const rows of [members.embedded, members.apache]) {
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ HOST: '/127.0.0.1', 'CLIENT-ID': 'console-consumer' });
        expect(rows[0]!['CONSUMER-ID']).toMatch(/^console-consumer-/);
      }

      const refused = await onBoth(targets, 'kafka-consumer-groups', ['--reset-offsets', '--to-earliest', '--group', live, '--topic', topic, '--execute']);
      const refusal = `Assignments can only be reset if the group '${live}' is inactive, but the current state is Stable.`;
      expect(succeeded(refused.embedded)).toContain(refusal);
      expect(succeeded(refused.apache)).toContain(refusal);
    } finally {
      await onBoth(targets, 'kafka-console-producer', ['--topic', topic], 'the last line\n');
    }
    const [mine, reference] = await Promise.all(consuming);
    expect(succeeded(mine!).trim().split('\n').sort()).toEqual(succeeded(reference!).trim().split('\n').sort());
    expect(mine!.stdout.trim().split('\n')).toHaveLength(total + 1);
  }, 120_000);

  it('kafka-consumer-groups --delete removes an empty group, which is then reported as not found and no longer listed', async () => {
    const deleted = await onBoth(targets, 'kafka-consumer-groups', ['--delete', '--group', group]);
    expect(succeeded(deleted.embedded)).toBe(succeeded(deleted.apache));
    expect(deleted.embedded.stdout).toContain(`Deletion of requested consumer groups ('${group}') was successful.`);

    const gone = await onBoth(targets, 'kafka-consumer-groups', ['--describe', '--group', group]);
    for (const result of [gone.embedded, gone.apache]) expect(result.stdout).toContain(`GroupIdNotFoundException: Group ${group} not found.`);

    const listed = await onBoth(targets, 'kafka-consumer-groups', ['--list']);
    const names = (stdout: string) => stdout.trim().split('\n').sort();
    expect(names(succeeded(listed.embedded))).toEqual(names(succeeded(listed.apache)));
    expect(names(listed.embedded.stdout)).not.toContain(group);
  });
});
