import { claimEvents } from '@orderflow/db';
import { isDeadLetterTopic, type AnyEvent } from '@orderflow/events';
import type { BatchEventHandler, EventContext, EventHandler } from '@orderflow/kafka';
import type { PrismaClient } from '../generated/prisma/client';
import { planDeadLetter } from './dead-letters';
import { intakeEvents, type Created, type EventIntakeDeps } from './event-intake';
import { enqueue, type NotificationDraft } from './notification-log';
import { INGRESS_TOPICS, recordIngress } from './webhook-activity';

export interface EventsConsumerDeps extends EventIntakeDeps {
  prisma: () => PrismaClient;
  slack: boolean;
  /** After notifications were written, with the channels they are for. */
  due: (channels: ReadonlySet<string>) => void;
}

type Run = ReadonlyArray<{ event: AnyEvent; context: EventContext }>;

/** Where a message sits: the idempotency key for counting messages rather than events. */
const position = (context: EventContext) => `${context.topic}:${context.partition}:${context.offset}`;

/**
 * Dead letters one after another in one transaction: they are rare, and the "repeated webhook
 * failures" rule counts the failures recorded before each one, these included.
 */
async function deadLetters(deps: EventsConsumerDeps, run: Run): Promise<Created[]> {
  return deps.prisma().$transaction(async (tx) => {
    const fresh = await claimEvents(tx, 'notification.dead-letters', run.map(({ context }) => position(context)));
    const drafts: NotificationDraft[] = [];
    for (const { event, context } of run) {
      if (fresh.has(position(context))) drafts.push(...(await planDeadLetter(tx, event, context, { slack: deps.slack, maxAgeMs: deps.maxEventAgeMs })));
    }
    return enqueue(tx, drafts);
  });
}

/** A run is one partition's messages, so one topic's. */
async function handleRun(deps: EventsConsumerDeps, run: Run): Promise<void> {
  const topic = run[0].context.topic;
  let created: Created[] = [];
  if (isDeadLetterTopic(topic)) created = await deadLetters(deps, run);
  else if (INGRESS_TOPICS.has(topic)) await recordIngress(deps.sql(), run.map(({ event, context }) => ({ position: position(context), event })));
  else created = await intakeEvents(deps, run.map(({ event }) => event));
  for (const row of created) deps.metrics.created.inc({ channel: row.channel, kind: row.kind });
  if (created.length > 0) deps.due(new Set(created.map((row) => row.channel)));
}

/**
 * Every topic the service reads. Each message's effects commit together with its
 * processed_events row, so a redelivered or replayed event writes nothing new; sending happens
 * after the commit, in the channel workers: a slow provider never holds up a partition.
 *
 * - orders.events, fulfillment.events, operations.events: once per event ID; the order copy is
 *   refreshed and the planner decides what to send (event-intake.ts).
 * - the ingress topics: webhook activity, once per message (a replay is a new message with an
 *   old event ID: that is what "retried" counts).
 * - `*.dlq`: alerts, once per dead letter.
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
