import type { EventContext } from '@orderflow/kafka';

/**
 * Where a message sits (topic, partition, offset): the idempotency key of what is done once per
 * message rather than once per event, since a replay is a new message with an old event ID.
 * Webhook activity counts by it, and a dead letter alerts once per position.
 */
export const positionOf = (context: Pick<EventContext, 'topic' | 'partition' | 'offset'>): string => `${context.topic}:${context.partition}:${context.offset}`;
