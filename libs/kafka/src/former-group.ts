import { backoffDelay } from '@orderflow/resilience';
import type { Kafka } from 'kafkajs';
import { RetriableError } from './errors';
import { mapKafkaError } from './kafkajs-errors';
import type { Logger } from './logger';

/**
 * How long a start keeps trying while the group coordinator is not there yet. A new Apache Kafka
 * cluster answers NOT_COORDINATOR until `__consumer_offsets` has been created and loaded (seen in
 * CI: a service's first start on a fresh node failed here), which a consumer's own join rides out.
 */
const CARRY_OVER_PATIENCE_MS = 30_000;

export interface GroupRename {
  groupId: string;
  /** The name the group had before; its committed offsets are where `groupId` carries on. */
  formerGroupId: string;
  topics: string[];
}

interface CommittedOffset {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Gives a renamed consumer group the committed offsets of its former name, so the rename neither
 * replays the topics from the beginning (a new group's default) nor skips what arrived while the
 * service was being upgraded. Only while `groupId` has committed nothing on `topics`: once it
 * has, it is the group's own position, and copying again would move it back.
 *
 * kafkajs's `setOffsets` joins the group to commit, so it refuses a group with members: an
 * instance that finds one here started after another that already carried the offsets over and
 * is consuming, and goes on without copying. Resolves whether offsets were copied.
 */
export async function carryOverFormerOffsets(kafka: Kafka, rename: GroupRename, logger: Logger): Promise<boolean> {
  const giveUpAt = Date.now() + CARRY_OVER_PATIENCE_MS;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await carryOverOnce(kafka, rename, logger);
    } catch (err) {
      if (!(err instanceof RetriableError) || Date.now() >= giveUpAt) throw err;
      logger.debug({ groupId: rename.groupId, attempt, err: err.message }, 'group coordinator not ready; carrying the offsets over again');
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, { initialMs: 100, maxMs: 2_000 })));
    }
  }
}

async function carryOverOnce(kafka: Kafka, rename: GroupRename, logger: Logger): Promise<boolean> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const committed = async (groupId: string): Promise<CommittedOffset[]> =>
      (await admin.fetchOffsets({ groupId, topics: rename.topics })).flatMap(({ topic, partitions }) =>
        // -1: nothing committed for the partition.
        partitions.filter((p) => Number(p.offset) >= 0).map((p) => ({ topic, partition: p.partition, offset: p.offset })),
      );
    if ((await committed(rename.groupId)).length > 0) return false;
    const former = await committed(rename.formerGroupId);
    if (former.length === 0) return false;
    const description = (await admin.describeGroups([rename.groupId])).groups[0];
    if (description && description.members.length > 0) return false;
    for (const topic of new Set(former.map((o) => o.topic))) {
      const partitions = former.filter((o) => o.topic === topic).map(({ partition, offset }) => ({ partition, offset }));
      await admin.setOffsets({ groupId: rename.groupId, topic, partitions });
    }
    logger.info({ groupId: rename.groupId, formerGroupId: rename.formerGroupId, partitions: former.length }, 'consumer group renamed: carrying on from the former group\'s committed offsets');
    return true;
  } catch (err) {
    throw mapKafkaError(err, `carrying over the offsets of ${rename.formerGroupId} to ${rename.groupId}`);
  } finally {
    await admin.disconnect();
  }
}
