import { claimEvents } from '@orderflow/db';
import type { AnyEvent } from '@orderflow/events';
import { DeadLetterHeaders, type EventContext } from '@orderflow/kafka';
import { deadLetterAlert, repeatedWebhookFailuresAlert } from '../adapters/messages/slack-alerts';
import { enqueue, type PrismaTx } from '../data/notifications.repository';
import { recordWebhookFailure, webhookFailuresToAlert } from '../data/webhook-activity-rows';
import { positionOf } from '../domain/message-position';
import type { Created, NotificationDraft } from '../domain/notification';
import { WEBHOOK_RECIPIENT } from '../domain/notification-planner';
import { INGRESS_TOPICS, WEBHOOK_FAILURE_THRESHOLD } from '../domain/webhook-activity';
import type { PrismaClient } from '../generated/prisma/client';

export interface DeadLetterAlertDeps {
  prisma: () => PrismaClient;
  slack: boolean;
  /** A dead letter older than this (a backlog read after an outage or a first deployment) is counted, not alerted; see NOTIFY_MAX_EVENT_AGE. */
  maxEventAgeMs: number;
}

/**
 * A run of dead letters one after another in one transaction, each once per position: they are
 * rare, and the "repeated webhook failures" rule counts the failures recorded before each one,
 * these included.
 */
export async function alertDeadLetters(deps: DeadLetterAlertDeps, run: ReadonlyArray<{ event: AnyEvent; context: EventContext }>): Promise<Created[]> {
  return deps.prisma().$transaction(async (tx) => {
    const fresh = await claimEvents(tx, 'notification.dead-letters', run.map(({ context }) => positionOf(context)));
    const drafts: NotificationDraft[] = [];
    for (const { event, context } of run) {
      if (fresh.has(positionOf(context))) drafts.push(...(await planDeadLetter(tx, event, context, deps)));
    }
    return enqueue(tx, drafts);
  });
}

/**
 * A message on a `<topic>.dlq`: every one raises a Slack alert (a dead-lettered event is an
 * order stuck somewhere), keyed by the dead letter's own position so a redelivery alerts once
 * and a second dead-lettering of a replayed event alerts again. Dead-lettered provider events
 * also count as failed webhooks, and more than WEBHOOK_FAILURE_THRESHOLD of them within an hour
 * raise one "repeated webhook failures" alert.
 */
async function planDeadLetter(tx: PrismaTx, event: AnyEvent, context: EventContext, options: DeadLetterAlertDeps, now = Date.now()): Promise<NotificationDraft[]> {
  const h = context.headers;
  const originalTopic = h[DeadLetterHeaders.originalTopic] ?? context.topic.replace(/\.dlq$/, '');
  const stamped = Date.parse(h[DeadLetterHeaders.failedAt] ?? '');
  const failedAt = new Date(Number.isNaN(stamped) ? now : stamped);
  const fresh = now - failedAt.getTime() <= options.maxEventAgeMs;
  const drafts: NotificationDraft[] = [];
  const about = { eventId: event.eventId, eventType: event.type, orderId: event.orderKey, channel: 'slack' as const, recipient: WEBHOOK_RECIPIENT };

  if (fresh && options.slack) {
    drafts.push({
      ...about,
      dedupeKey: `dead-letter:${positionOf(context)}`,
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
