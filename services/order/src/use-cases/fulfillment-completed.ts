import type { Tx } from '@orderflow/db';
import type { OrderBook } from '../data/order-book';
import type { Cause } from '../domain/order';

/** `fulfillment.completed`: the fulfillment service delivered the order; it is FULFILLED. */
export async function fulfillmentCompleted(book: OrderBook, tx: Tx, orderId: string, cause: Cause): Promise<void> {
  const order = await book.lock(tx, orderId);
  if (!order) return;
  await book.transition(tx, order, 'FULFILLED', cause, { patch: { fulfillmentFailure: null } });
}
