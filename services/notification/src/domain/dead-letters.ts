import { DeadLetterHeaders, type EventContext } from '@orderflow/kafka';
import type { AnyEvent } from '@orderflow/events';
import { deadLetterAlert, repeatedWebhookFailuresAlert } from '../messages/slack-alerts';
import type { NotificationDraft, PrismaTx } from './notification-log';
import { WEBHOOK_RECIPIENT } from './notification-planner';
import { INGRESS_TOPICS, recordWebhookFailure, WEBHOOK_FAILURE_THRESHOLD, webhookFailuresToAlert } from './webhook-activity';

export interface DeadLetterOptions {
  slack: boolean;
  /** A dead letter older than this (a backlog read after an outage or a first deployment) is counted, not alerted. */
  maxAgeMs: number;
}

/**
 * A message on a `<topic>.dlq`: every one raises a Slack alert (a dead-lettered event is an
 * order stuck somewhere), keyed by the dead letter's own position so a redelivery alerts once
 * and a second dead-lettering of a replayed event alerts again. Dead-lettered provider events
 * also count as failed webhooks, and more than WEBHOOK_FAILURE_THRESHOLD of them within an hour
 * raise one "repeated webhook failures" alert.
 */
export async function planDeadLetter(tx: PrismaTx, event: AnyEvent, context: EventContext, options: DeadLetterOptions, now = Date.now()): Promise<NotificationDraft[]> {
  const h = context.headers;
  const originalTopic = h[DeadLetterHeaders.originalTopic] ?? context.topic.replace(/\.dlq$/, '');
  const stamped = Date.parse(h[DeadLetterHeaders.failedAt] ?? '');
  const failedAt = new Date(Number.isNaN(stamped) ? now : stamped);
  const fresh = now - failedAt.getTime() <= options.maxAgeMs;
  const drafts: NotificationDraft[] = [];
  const about = { eventId: event.eventId, eventType: event.type, orderId: event.orderKey, channel: 'slack' as const, recipient: WEBHOOK_RECIPIENT };

  if (fresh && options.slack) {
    drafts.push({
      ...about,
      dedupeKey: `dead-letter:${context.topic}:${context.partition}:${context.offset}`,
      kind: 'dead-letter',
      message: deadLetterAlert({
        topic: originalTopic,
        eventId: event.eventId,
        eventType: event.type,
        orderKey: event.orderKey,
        reason: h[DeadLetterHeaders.reason] ?? 'unknown',
        error: h[DeadLetterHeaders.error] ?? 'no error recorded',
        group: h[DeadLetterHeaders.consumerGroup] ?? 'unknown group',
        attempts: h[DeadLetterHeaders.attempts] ?? '?',
      }),
    });
  }
  if (INGRESS_TOPICS.has(originalTopic)) {
    await recordWebhookFailure(tx, event, failedAt);
    const burst = fresh && options.slack ? await webhookFailuresToAlert(tx, failedAt) : null;
    if (burst) {
      drafts.push({
        ...about,
        dedupeKey: `webhook-failures:${failedAt.toISOString()}`,
        kind: 'webhook-failures',
        message: repeatedWebhookFailuresAlert(burst.count, WEBHOOK_FAILURE_THRESHOLD, burst.bySource),
      });
    }
  }
  return drafts;
}
