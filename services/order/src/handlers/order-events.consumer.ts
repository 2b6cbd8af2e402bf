import { claimEvents, processOnce, type OutboxRelay } from '@orderflow/db';
import type { AnyEvent } from '@orderflow/events';
import type { BatchEventHandler, EventHandler } from '@orderflow/kafka';
import type { Cause, OrderBook, Tx } from '../domain/order-book';
import type { PrismaClient } from '../generated/prisma/client';
import type { StripeHandler } from './stripe.handler';
import type { WixHandler } from './wix.handler';

export interface OrderConsumerDeps {
  prisma: () => PrismaClient;
  book: OrderBook;
  stripe: StripeHandler;
  wix: WixHandler;
  relay: () => OutboxRelay | undefined;
}

/** The idempotency key's consumer name: one effect per provider event, however often delivered. */
export const ORDER_CONSUMER = 'order';

/**
 * The handler for the ingress and fulfillment topics. Each event runs inside one transaction
 * with its processed-events row (processOnce), so a redelivery or an admin replay of the same
 * provider event has no second effect; the outbox rows it wrote are published after commit.
 */
export function orderEventHandler(deps: OrderConsumerDeps): EventHandler {
  return async (event) => {
    await processOnce(deps.prisma(), { consumer: ORDER_CONSUMER, eventId: eventIdOf(event) }, (tx) => route(deps, tx, event, causeOf(event)));
    deps.relay()?.notify();
  };
}

/** Most a run may take inside its one transaction before it is rolled back as stuck. */
const RUN_TIMEOUT_MS = 30_000;

/**
 * The same handling for a run of one partition's events in a single transaction: one statement
 * marks the run's events processed, one commit covers them all. Events of one order keep their
 * order; different orders are taken in key order, so two runs that meet on the same orders (a
 * payment run and a fulfillment run of the same partition number) lock them in the same order
 * and cannot deadlock each other. If anything in the run fails, all of it rolls back and the
 * runner handles its events one at a time. The run's announcements go to the outbox together
 * at its end.
 */
export function orderBatchHandler(deps: OrderConsumerDeps): BatchEventHandler {
  return async (run) => {
    const events = run.map(({ event }) => event).sort((a, b) => (a.orderKey < b.orderKey ? -1 : a.orderKey > b.orderKey ? 1 : 0));
    await deps.prisma().$transaction(
      async (tx) => {
        const fresh = await claimEvents(tx, ORDER_CONSUMER, events.map(eventIdOf));
        await deps.book.gatheringOutbox(tx, async () => {
          for (const event of events) {
            // Processed before, or a repeat of an event earlier in this run.
            if (!fresh.delete(eventIdOf(event))) continue;
            await route(deps, tx, event, causeOf(event));
          }
        });
      },
      { timeout: RUN_TIMEOUT_MS },
    );
    deps.relay()?.notify();
  };
}

const eventIdOf = (event: AnyEvent): string => `${event.source}:${event.eventId}`;
const causeOf = (event: AnyEvent): Cause => ({ kind: event.type, eventId: eventIdOf(event), traceId: event.traceId });

async function route(deps: OrderConsumerDeps, tx: Tx, event: AnyEvent, cause: Cause): Promise<void> {
  switch (event.source) {
    case 'stripe':
      return deps.stripe.handle(tx, event as Parameters<StripeHandler['handle']>[1], cause);
    case 'wix':
      return deps.wix.handle(tx, event as Parameters<WixHandler['handle']>[1], cause);
    case 'fulfillment':
      return fulfillmentOutcome(deps.book, tx, event, cause);
    default:
      // Our own domain events share no topic with these consumers; anything else is ignored.
      return;
  }
}

/** The fulfillment service's report: FULFILLED, or the order flagged for support to retry. */
async function fulfillmentOutcome(book: OrderBook, tx: Tx, event: AnyEvent, cause: Cause): Promise<void> {
  if (event.type !== 'fulfillment.completed' && event.type !== 'fulfillment.failed') return;
  const order = await book.lock(tx, event.payload.orderId);
  if (!order) return;
  if (event.type === 'fulfillment.completed') {
    await book.transition(tx, order, 'FULFILLED', cause, { patch: { fulfillmentFailure: null } });
    return;
  }
  await book.patch(tx, order, { fulfillmentFailure: event.payload.reason ?? 'fulfillment failed' });
}
