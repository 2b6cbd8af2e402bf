import type { BatchingProducer } from '@orderflow/kafka';
import type { Logger } from '@orderflow/logging';
import type { EventLog } from '../data/event-log';
import type { WebhookEvent } from '../data/event-log.repository';
import { stripeEventOf } from '../domain/stripe.verifier';
import { PayloadError, quarantineReason, type VerifiedEvent } from '../domain/verified-event';
import type { WixVerifier } from '../domain/wix.verifier';
import { envelopeOf } from './envelope';
import { unpublishable } from './quarantine-event';
import { DEADLINE_PASSED, withDeadline } from './with-deadline';

export interface ReplayDeps {
  /** The event log; throws until the service has started. */
  log: () => EventLog;
  producer: BatchingProducer;
  publishDeadlineMs: number;
  /** Reads a quarantined Wix event's stored token again; undefined without WIX_PUBLIC_KEY. */
  wix: () => WixVerifier | undefined;
}

export type ReplayResult =
  | { outcome: 'replayed'; row: WebhookEvent }
  /** Nothing a retry of the request would change. */
  | { outcome: 'refused'; detail: string }
  /** Kafka did not acknowledge in time, or failed: the replay may be retried later. */
  | { outcome: 'unavailable' };

/**
 * Republishes a logged event with its original provider event ID, so consumers that already
 * handled it skip it (they deduplicate on eventId) and those that missed it catch up. A
 * quarantined event is first read again from its stored body by today's rules (refused while
 * they still refuse it); Kafka refusing it as too large again keeps it quarantined (refused).
 * `find` reads the event as logged now.
 */
export async function replayEvent(deps: ReplayDeps, find: () => Promise<WebhookEvent>, traceId: string, logger: Logger): Promise<ReplayResult> {
  let row = await find();
  if (row.status === 'ignored') return { outcome: 'refused', detail: 'Ignored events are not publishable' };
  const log = deps.log();
  const rawBody = row.status === 'quarantined' ? (await log.getWithBody(row.id))?.rawBody : null;
  if (rawBody) {
    const event = reread(row, rawBody, deps.wix());
    if (typeof event === 'string') return { outcome: 'refused', detail: event };
    if (!(await log.requeue(row.id, event))) return { outcome: 'refused', detail: 'The event changed meanwhile, or another logged event has its ID' };
    row = await find();
  }
  await log.markReplaying(row.id);
  const sent = deps.producer.sendEvent(envelopeOf(row, traceId)).then(
    () => true as const,
    (err: unknown) => err,
  );
  const outcome = await withDeadline(sent, deps.publishDeadlineMs);
  const refused = outcome === true || outcome === DEADLINE_PASSED ? null : unpublishable(outcome);
  if (refused) {
    await log.markQuarantined(row.id, refused.detail);
    return { outcome: 'refused', detail: `Still cannot be published: ${refused.detail}` };
  }
  if (outcome !== true) {
    logger.warn({ err: outcome === DEADLINE_PASSED ? 'deadline passed' : outcome, eventId: row.eventId }, 'replay not published');
    return { outcome: 'unavailable' };
  }
  await log.markPublished(row.id);
  return { outcome: 'replayed', row };
}

/**
 * A quarantined event read again from its stored body by today's rules, or why it still cannot
 * be published.
 */
function reread(row: WebhookEvent, rawBody: Uint8Array, wix: WixVerifier | undefined): VerifiedEvent | string {
  const text = Buffer.from(rawBody).toString('utf8');
  let event: VerifiedEvent;
  try {
    if (row.source === 'stripe') {
      event = stripeEventOf(JSON.parse(text) as unknown);
    } else {
      if (!wix) return 'Wix events cannot be read without WIX_PUBLIC_KEY';
      event = wix.reread(text);
    }
  } catch (err) {
    if (err instanceof PayloadError || err instanceof SyntaxError) return `Still cannot be published: ${err.message}`;
    throw err;
  }
  const problem = quarantineReason(event);
  if (problem) return `Still cannot be published: ${problem.detail}`;
  if (!event.publishable) return `Events of type ${event.type} are not published`;
  return event;
}
