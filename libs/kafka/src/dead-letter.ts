import { deadLetterTopic } from '@orderflow/events';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { OutgoingMessage } from './message';

/** Why a message was dead-lettered; also the `reason` label of the dead-letter metric. */
export type DeadLetterReason = 'undecodable' | 'non-retriable' | 'retries-exhausted';

/** Headers the runner adds to a dead-lettered message; the original headers are kept alongside. */
export const DeadLetterHeaders = {
  reason: 'dlq-reason',
  error: 'dlq-error',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  consumerGroup: 'dlq-consumer-group',
  attempts: 'dlq-attempts',
  failedAt: 'dlq-failed-at',
  /**
   * Set when the copy could not carry the original key and value (its value over the topic's
   * size limit once these headers are added, or its key over the producer's bound): why. The
   * original is still at its topic, partition and offset for as long as the topic keeps it.
   */
  payloadDropped: 'dlq-payload-dropped',
} as const;

function copyHeaders(headers: IHeaders | undefined): Record<string, string | Buffer> {
  const out: Record<string, string | Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    // Kafka allows repeated header names; kafkajs gives those as arrays. Keep the last, as Kafka's
    // `Headers.lastHeader` does: no header we set is repeated.
    const one = Array.isArray(value) ? value[value.length - 1] : value;
    if (one !== undefined) out[name] = one;
  }
  return out;
}

/**
 * The dead-letter copy of a message: same key and value bytes (so it can be replayed to its
 * original topic as it was), the original headers, and where and why it failed.
 */
export function deadLetterMessage(
  source: { topic: string; partition: number; message: KafkaMessage },
  failure: { reason: DeadLetterReason; error: string; groupId: string; attempts: number },
  /** Why the copy goes without the original key and value, when it cannot carry them. */
  payloadDropped?: string,
): { topic: string; message: OutgoingMessage } {
  return {
    topic: deadLetterTopic(source.topic),
    message: {
      key: payloadDropped === undefined ? source.message.key : null,
      value: payloadDropped === undefined ? source.message.value : null,
      headers: {
        ...(payloadDropped === undefined ? {} : { [DeadLetterHeaders.payloadDropped]: payloadDropped.slice(0, 1_000) }),
        ...copyHeaders(source.message.headers),
        [DeadLetterHeaders.reason]: failure.reason,
        [DeadLetterHeaders.error]: failure.error.slice(0, 4_000),
        [DeadLetterHeaders.originalTopic]: source.topic,
        [DeadLetterHeaders.originalPartition]: String(source.partition),
        [DeadLetterHeaders.originalOffset]: source.message.offset,
        [DeadLetterHeaders.consumerGroup]: failure.groupId,
        [DeadLetterHeaders.attempts]: String(failure.attempts),
        [DeadLetterHeaders.failedAt]: new Date().toISOString(),
      },
    },
  };
}
