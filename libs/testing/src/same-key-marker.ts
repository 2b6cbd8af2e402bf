import { Kafka, logLevel } from 'kafkajs';
import { waitFor, type WaitForOptions } from './wait-for';

/** Where a message landed (what a producer's send answers). */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

export interface SameKeyMarkerOptions<M extends RecordPosition = RecordPosition> {
  /** Where the event under test landed. */
  after: RecordPosition;
  /** Publishes the marker: a message on the same topic with the same key as the event under test. */
  send(): Promise<M>;
  /** Resolves once the consumer under test handled the marker (see `committedPast`). */
  handled(marker: M): Promise<unknown>;
}

/**
 * The "nothing happened" half of a negative test, made to wait for the event under test. A
 * service consumes several partitions at once, so a marker on another key (another partition) can
 * be handled first, and "nothing happened" pass before the event under test was even read. On the
 * same key the marker lands on the same partition, after the event, and one partition is handled
 * in offset order: once the marker is handled, so is the event under test. Throws when the marker
 * did not land behind it (another topic or partition: not the same key).
 */
export async function afterSameKeyMarker<M extends RecordPosition>(options: SameKeyMarkerOptions<M>): Promise<M> {
  const { after } = options;
  const marker = await options.send();
  if (marker.topic !== after.topic || marker.partition !== after.partition || BigInt(marker.offset) <= BigInt(after.offset)) {
    throw new Error(`the marker landed at ${describe(marker)}, not behind the event under test at ${describe(after)}: send it with the same key`);
  }
  await options.handled(marker);
  return marker;
}

/**
 * A `handled` for `afterSameKeyMarker` that needs no visible effect of the marker: it waits until
 * consumer group `groupId` committed an offset past it. Our consumers commit an offset only once
 * everything before it in the partition is handled (or dead-lettered), so any event the service
 * ignores will do as the marker.
 */
export function committedPast(brokers: string[], groupId: string, wait: WaitForOptions = {}): (marker: RecordPosition) => Promise<void> {
  return async (marker) => {
    const admin = new Kafka({ clientId: 'test-marker', brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const [topic] = await admin.fetchOffsets({ groupId, topics: [marker.topic] });
          const committed = topic?.partitions.find((p) => p.partition === marker.partition)?.offset ?? '-1';
          return BigInt(committed) > BigInt(marker.offset);
        },
        { intervalMs: 50, description: `${groupId} to commit past ${describe(marker)}`, ...wait },
      );
    } finally {
      await admin.disconnect();
    }
  };
}

function describe(position: RecordPosition): string {
  return `${position.topic}/${position.partition}@${position.offset}`;
}
