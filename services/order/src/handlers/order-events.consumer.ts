import { processOnce, type OutboxRelay } from '@orderflow/db';
import type { AnyEvent } from '@orderflow/events';
import type { EventHandler } from '@orderflow/kafka';
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
    const eventId = `${event.source}:${event.eventId}`;
    const cause: Cause = { kind: event.type, eventId, traceId: event.traceId };
    await processOnce(deps.prisma(), { consumer: ORDER_CONSUMER, eventId }, (tx) => route(deps, tx, event, cause));
    deps.relay()?.notify();
  };
}

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
