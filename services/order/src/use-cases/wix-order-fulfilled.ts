import type { Tx } from '@orderflow/db';
import type { Cause } from '../domain/order';
import type { OrderChangeDeps } from './payments';
import { onWixOrder, type WixEvent } from './wix-orders';

/** `order_fulfilled`: the shop fulfilled the order in Wix; it is FULFILLED here too. */
export function wixOrderFulfilled(deps: OrderChangeDeps, tx: Tx, event: WixEvent, cause: Cause): Promise<void> {
  return onWixOrder(deps, tx, event, cause, async (order) => (await deps.book.transition(tx, order, 'FULFILLED', cause)).order);
}
