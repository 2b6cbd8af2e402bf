import type { Tx } from '@orderflow/db';
import type { AnyEvent } from '@orderflow/events';
import type { OrderBook } from '../data/order-book';
import type { Cause, OrderLookup } from '../domain/order';
import { fulfillmentCompleted } from '../use-cases/fulfillment-completed';
import { fulfillmentFailed } from '../use-cases/fulfillment-failed';

/**
 * The consumer of `fulfillment.events` (Topics.fulfillment): the fulfillment service's report on
 * an order handed to its use case. The topic's other events are not about an order's state.
 * The run machinery is event-runs.ts.
 */

/** What the event's order is looked up by, to be locked ahead with a run's. */
export function fulfillmentReferences(event: AnyEvent): OrderLookup {
  return event.type === 'fulfillment.completed' || event.type === 'fulfillment.failed' ? [['id', event.payload.orderId]] : [];
}

export async function handleFulfillment(book: OrderBook, tx: Tx, event: AnyEvent, cause: Cause): Promise<void> {
  if (event.type === 'fulfillment.completed') return fulfillmentCompleted(book, tx, event.payload.orderId, cause);
  if (event.type === 'fulfillment.failed') return fulfillmentFailed(book, tx, event.payload.orderId, event.payload.reason);
}
