import type { Tx } from '@orderflow/db';
import type { Cause } from '../domain/order';
import type { OrderChangeDeps } from './payments';
import { onWixOrder, type WixEvent } from './wix-orders';

/** `order_approved`: the order APPROVED, which makes it ready to fulfill. */
export function wixOrderApproved(deps: OrderChangeDeps, tx: Tx, event: WixEvent, cause: Cause): Promise<void> {
  return onWixOrder(deps, tx, event, cause, async (order) => (await deps.book.transition(tx, order, 'APPROVED', cause)).order);
}
