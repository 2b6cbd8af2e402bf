import { processOnce } from '@orderflow/db';
import { isDeadLetterTopic, type AnyEvent, type OrderSnapshot } from '@orderflow/events';
import type { EventContext, EventHandler } from '@orderflow/kafka';
import type { Logger } from '@orderflow/logging';
import type { PrismaClient } from '../generated/prisma/client';
import type { NotificationMetrics } from '../notification.metrics';
import { planDeadLetter } from './dead-letters';
import { enqueue } from './notification-log';
import type { NotificationPlanner } from './notification-planner';
import { saveSnapshot } from './orders.repository';
import { INGRESS_TOPICS, recordIngress } from './webhook-activity';

export interface EventsConsumerDeps {
  prisma: () => PrismaClient;
  planner: NotificationPlanner;
  metrics: NotificationMetrics;
  logger: Logger;
  slack: boolean;
  /** Events older than this notify nobody; see NOTIFY_MAX_EVENT_AGE. */
  maxEventAgeMs: number;
  /** After a commit that wrote notifications. */
  due: () => void;
}

/** Where a message sits: the idempotency key for counting messages rather than events. */
const position = (context: EventContext) => `${context.topic}:${context.partition}:${context.offset}`;

function snapshotIn(event: AnyEvent): OrderSnapshot | null {
  if (event.type === 'registration.promoted' || event.source === 'checkout') return (event.payload as { order: OrderSnapshot }).order;
  if (event.source === 'order' && event.type.startsWith('order.')) return event.payload as OrderSnapshot;
  return null;
}

/**
 * Every topic the service reads, one transaction per message with its processed_events row
 * (processOnce) and the notifications it calls for, so a redelivered or replayed event writes
 * nothing new. Sending happens after the commit, in the channel workers: a slow provider never
 * holds up a partition.
 *
 * - orders.events, fulfillment.events: once per event ID; the order copy is refreshed and the
 *   planner decides what to send.
 * - the ingress topics: webhook activity, once per message (a replay is a new message with an
 *   old event ID: that is what "retried" counts).
 * - `*.dlq`: alerts, once per dead letter.
 */
export function eventsHandler(deps: EventsConsumerDeps): EventHandler {
  return async (event, context) => {
    let created: Awaited<ReturnType<typeof enqueue>> = [];
    if (isDeadLetterTopic(context.topic)) {
      const result = await processOnce(deps.prisma(), { consumer: 'notification.dead-letters', eventId: position(context) }, async (tx) =>
        enqueue(tx, await planDeadLetter(tx, event, context, { slack: deps.slack, maxAgeMs: deps.maxEventAgeMs })),
      );
      created = result.duplicate ? [] : result.result;
    } else if (INGRESS_TOPICS.has(context.topic)) {
      await processOnce(deps.prisma(), { consumer: 'notification.activity', eventId: position(context) }, (tx) => recordIngress(tx, event));
    } else {
      const result = await processOnce(deps.prisma(), { consumer: 'notification', eventId: event.eventId }, async (tx) => {
        const order = snapshotIn(event);
        if (order) await saveSnapshot(tx, order);
        if (Date.now() - Date.parse(event.occurredAt) > deps.maxEventAgeMs) {
          // Debug, with a counter: a first deployment reads a whole topic's history.
          deps.metrics.tooOld.inc();
          deps.logger.debug({ eventId: event.eventId, type: event.type, occurredAt: event.occurredAt }, 'event too old to notify anyone; skipped');
          return [];
        }
        return enqueue(tx, await deps.planner.plan(tx, event));
      });
      created = result.duplicate ? [] : result.result;
    }
    for (const row of created) deps.metrics.created.inc({ channel: row.channel, kind: row.kind });
    if (created.length > 0) deps.due();
  };
}
