import { recordWebhookActivity } from '../use-cases/record-webhook-activity';
import type { EventsConsumerDeps, Run } from './event-runs';

/**
 * The consumer of `ingress.stripe.events` and `ingress.wix.events` (Topics.stripeIngress,
 * Topics.wixIngress, domain/webhook-activity.ts's INGRESS_TOPICS). Both are handled alike, so
 * they share this file: a run's provider events are counted as webhook activity, once per
 * message (a replay is a new message with an old event ID: that is what "retried" counts).
 * Nobody is notified; what the order service makes of these events reaches this service on
 * orders.events. The run machinery is event-runs.ts.
 */
export function consumeIngress(deps: EventsConsumerDeps, run: Run): Promise<void> {
  return recordWebhookActivity(deps.sql(), run);
}
