import type { EventLog } from '../data/event-log';
import type { WebhookEvent } from '../data/event-log.repository';
import type { VerifiedEvent } from '../domain/verified-event';
import type { IngressMetrics } from '../metrics';

/** What the client is told. `unavailable` becomes a 503: the provider must retry. */
export type IntakeResult =
  | { outcome: 'published' | 'ignored'; id: string }
  /** `eventId` as logged: a quarantined event's may be a digest of the provider's. */
  | { outcome: 'duplicate'; id: string; eventId: string }
  /** Authentic but never publishable: logged with its reason, answered 200, not published. */
  | { outcome: 'quarantined'; id: string; eventId: string; reason: string }
  | { outcome: 'unavailable'; reason: string };

/**
 * A delivery of an event logged before, whether it was received (receive-webhook) or quarantined
 * (quarantine-event): counted on the original row, answered with that row's ID.
 */
export async function answerDuplicate(deps: { log: EventLog; metrics: IngressMetrics }, event: VerifiedEvent, row?: WebhookEvent): Promise<IntakeResult> {
  deps.metrics.duplicates.inc({ source: event.source });
  await deps.log.countDuplicate(event.source, event.eventId);
  const id = row ?? (await deps.log.find(event.source, event.eventId));
  return { outcome: 'duplicate', id: id ? String(id.id) : '', eventId: event.eventId };
}
