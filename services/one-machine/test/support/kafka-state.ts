import { isDeadLetterTopic } from '@orderflow/events';
import { AssignerProtocol, Kafka, logLevel, type Admin } from 'kafkajs';

/** What a Kafka cluster holds, read through its admin API: replication, dead letters, consumer lag. */
export class KafkaState {
  private constructor(private readonly admin: Admin) {}

  static async connect(brokers: string[]): Promise<KafkaState> {
    const admin = new Kafka({ clientId: 'cluster-e2e-inspector', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    return new KafkaState(admin);
  }

  /** Each partition's leader and replicas. */
  async partitions(topic: string): Promise<Array<{ partition: number; leader: number; replicas: number[]; isr: number[] }>> {
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] });
    return topics[0].partitions.map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr }));
  }

  /** The broker that leads the most partitions of `topic`. */
  async busiestLeader(topic: string): Promise<number> {
    const counts = new Map<number, number>();
    for (const { leader } of await this.partitions(topic)) counts.set(leader, (counts.get(leader) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
  }

  /** A topic config as the cluster resolves it (the topic's own, else the broker default). */
  async topicConfig(topic: string, name: string): Promise<string | undefined> {
    const { resources } = await this.admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: [name] }] });
    return resources[0]?.configEntries.find((entry) => entry.configName === name)?.configValue;
  }

  async topics(): Promise<string[]> {
    return (await this.admin.listTopics()).filter((t) => !t.startsWith('__'));
  }

  /** Messages on every dead-letter topic, by topic (only those holding any). */
  async deadLetters(): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    for (const topic of (await this.topics()).filter(isDeadLetterTopic)) {
      const held = (await this.admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
      if (held > 0) found[topic] = held;
    }
    return found;
  }

  /** Per consumer group, messages on its topics beyond its committed offsets (0 once it is caught up). */
  async lag(): Promise<Record<string, number>> {
    const lag: Record<string, number> = {};
    for (const [groupId, partitions] of Object.entries(await this.lagByPartition())) {
      lag[groupId] = Object.values(partitions).reduce((sum, behind) => sum + behind, 0);
    }
    return lag;
  }

  /** Per consumer group, the partitions it is behind on (`topic/partition` → messages). */
  async lagByPartition(): Promise<Record<string, Record<string, number>>> {
    const lag: Record<string, Record<string, number>> = {};
    const { groups } = await this.admin.listGroups();
    for (const { groupId } of groups) {
      const behind: Record<string, number> = {};
      for (const { topic, partitions } of await this.admin.fetchOffsets({ groupId })) {
        const ends = new Map((await this.admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p]));
        for (const { partition, offset } of partitions) {
          const end = ends.get(partition);
          if (!end) continue;
          const committed = Number(offset) < 0 ? Number(end.low) : Number(offset);
          if (Number(end.high) > committed) behind[`${topic}/${partition}`] = Number(end.high) - committed;
        }
      }
      lag[groupId] = behind;
    }
    return lag;
  }

  /** Each member of `groupId`: its client and host, and the partitions assigned to it. */
  async members(groupId: string): Promise<Array<{ clientId: string; host: string; assigned: string[] }>> {
    const { groups } = await this.admin.describeGroups([groupId]);
    return (groups[0]?.members ?? []).map((m) => ({
      clientId: m.clientId,
      host: m.clientHost,
      assigned: Object.entries(AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {}).flatMap(([topic, partitions]) => partitions.map((p) => `${topic}/${p}`)),
    }));
  }

  close(): Promise<void> {
    return this.admin.disconnect();
  }
}

