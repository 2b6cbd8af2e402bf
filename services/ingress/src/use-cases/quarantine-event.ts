import { EventValidationError } from '@orderflow/events';
import { MessageKeyTooLargeError, MessageTooLargeError } from '@orderflow/kafka';
import type { Logger } from '@orderflow/logging';
import type { EventLog } from '../data/event-log';
import type { WebhookEvent } from '../data/event-log.repository';
import { storableForm, type Quarantine, type VerifiedEvent } from '../domain/verified-event';
import type { IngressMetrics } from '../metrics';
import { answerDuplicate, type IntakeResult } from './intake-result';

/**
 * Logs an authentic event that can never be published (`problem` says why) and answers 200:
 * the provider would only send the same bytes again. Its redeliveries are duplicates. The
 * row's `raw_body` and a replay from the console carry it on once a fix makes it publishable.
 */
export async function quarantineEvent(
  deps: { log: EventLog; metrics: IngressMetrics },
  event: VerifiedEvent,
  rawBody: Buffer,
  problem: Quarantine,
  traceId: string,
  logger: Logger,
): Promise<IntakeResult> {
  const stored = storableForm(event);
  const row = await deps.log.quarantine(event, stored, rawBody, problem, traceId);
  const eventId = stored.eventId;
  if (!row) return answerDuplicate(deps, { ...event, eventId });
  recordQuarantined(deps.metrics, row, problem, logger);
  return { outcome: 'quarantined', id: String(row.id), eventId, reason: problem.detail };
}

/** Counts and logs an event quarantined on arrival, or when Kafka refused it for good (receive-webhook). */
export function recordQuarantined(metrics: IngressMetrics, row: WebhookEvent, problem: Quarantine, logger: Logger): void {
  metrics.quarantined.inc({ source: row.source, reason: problem.code });
  logger.warn({ eventId: row.eventId, source: row.source, eventLogId: String(row.id), reason: problem.detail }, 'authentic event quarantined: logged, not published');
}

/**
 * Why the producer refused an event for good, before sending it: over the topic's size limit,
 * a key past the bound, or an envelope the catalog refuses (a door check missed something).
 * Null for anything else: a broker refusing a message under the configured limit
 * (MessageRefusedError) is a misconfigured topic, and like any refusal or outage it is answered
 * 503 so the provider retries once it is fixed.
 */
export function unpublishable(err: unknown): Quarantine | null {
  if (err instanceof MessageTooLargeError || err instanceof MessageKeyTooLargeError) return { code: 'too_large', detail: 'the event is larger than Kafka accepts in one message' };
  if (err instanceof EventValidationError) return { code: 'invalid_event', detail: err.message };
  return null;
}
