import type { Tx } from '@orderflow/db';
import type { OrderBook } from '../data/order-book';

/** `fulfillment.failed`: the order is flagged with the reason, for support to retry (POST /admin/orders/:id/retry-fulfillment). */
export async function fulfillmentFailed(book: OrderBook, tx: Tx, orderId: string, reason: string | null | undefined): Promise<void> {
  const order = await book.lock(tx, orderId);
  if (!order) return;
  await book.patch(tx, order, { fulfillmentFailure: reason ?? 'fulfillment failed' });
}
