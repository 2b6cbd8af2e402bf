import { isEventType, type AnyEvent } from '@orderflow/events';
import type { WebhookEvent } from '../data/event-log.repository';

/**
 * The Kafka envelope of a logged event. Built from the row, so a provider retry and an admin
 * replay publish the same `eventId` (the provider's) that downstream deduplicates on.
 */
export function envelopeOf(row: WebhookEvent, traceId: string): AnyEvent {
  if (!isEventType(row.type) || row.orderKey === null) {
    throw new Error(`event ${row.id} (${row.type}) is not publishable`);
  }
  return {
    eventId: row.eventId,
    type: row.type,
    version: 1,
    source: row.source,
    orderKey: row.orderKey,
    instanceId: row.instanceId,
    occurredAt: row.occurredAt.toISOString(),
    receivedAt: row.receivedAt.toISOString(),
    traceId,
    payload: row.payload,
  } as AnyEvent;
}
