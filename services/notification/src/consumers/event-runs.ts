import { isDeadLetterTopic, type AnyEvent } from '@orderflow/events';
import type { BatchEventHandler, EventContext, EventHandler } from '@orderflow/kafka';
import type { Created } from '../domain/notification';
import { INGRESS_TOPICS } from '../domain/webhook-activity';
import type { DeadLetterAlertDeps } from '../use-cases/dead-letter-alert';
import type { PlanNotificationsDeps } from '../use-cases/plan-notifications';
import { consumeDeadLetters } from './dead-letters.consumer';
import { consumeNotifiedEvents } from './orders-fulfillment-operations.consumer';
import { consumeIngress } from './stripe-wix-ingress.consumer';

/**
 * How the notification service's consumers run, whichever topic a message came from: a run (or a
 * single message, a run of one) is handed to its topic's consumer, and what that wrote is counted
 * and wakes its channels' workers.
 */

export interface EventsConsumerDeps extends PlanNotificationsDeps, DeadLetterAlertDeps {
  /** After notifications were written, with the channels they are for. */
  due: (channels: ReadonlySet<string>) => void;
}

/** One partition's messages, so one topic's: a run goes to one consumer. */
export type Run = ReadonlyArray<{ event: AnyEvent; context: EventContext }>;

/** Routes a run to its topic's consumer: dead letters, the ingress topics, or the notified topics. */
async function handleRun(deps: EventsConsumerDeps, run: Run): Promise<void> {
  const topic = run[0].context.topic;
  let created: Created[] = [];
  if (isDeadLetterTopic(topic)) created = await consumeDeadLetters(deps, run);
  else if (INGRESS_TOPICS.has(topic)) await consumeIngress(deps, run);
  else created = await consumeNotifiedEvents(deps, run);
  for (const row of created) deps.metrics.created.inc({ channel: row.channel, kind: row.kind });
  if (created.length > 0) deps.due(new Set(created.map((row) => row.channel)));
}

/**
 * Every topic the service reads. Each message's effects commit together with its
 * processed_events row, so a redelivered or replayed event writes nothing new; sending happens
 * after the commit, in the channel workers: a slow provider never holds up a partition.
 *
 * - orders.events, fulfillment.events, operations.events: once per event ID; the order copy is
 *   refreshed and the planner decides what to send (orders-fulfillment-operations.consumer.ts).
 * - the ingress topics: webhook activity, once per message (a replay is a new message with an
 *   old event ID: that is what "retried" counts) (stripe-wix-ingress.consumer.ts).
 * - `*.dlq`: alerts, once per dead letter (dead-letters.consumer.ts).
 *
 * The batch handler takes a run of one partition's events at once: one statement for the run
 * (a transaction for dead letters) instead of a transaction per event. With 60 orders one at a
 * time on Postgres, 40 statements and 9 transactions an order became 9 and none, sends included
 * (README, "Measured"). The per-event handler is a run of one, so both have the same effects,
 * as the runner's fallback from a failed run requires.
 */
export function eventsHandlers(deps: EventsConsumerDeps): { handler: EventHandler; batchHandler: BatchEventHandler } {
  return {
    handler: (event, context) => handleRun(deps, [{ event, context }]),
    batchHandler: (run) => handleRun(deps, run),
  };
}
