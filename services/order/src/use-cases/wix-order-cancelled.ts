import type { Tx } from '@orderflow/db';
import type { Cause } from '../domain/order';
import type { OrderChangeDeps } from './payments';
import { onWixOrder, type WixEvent } from './wix-orders';

/** `order_canceled`: the order CANCELLED, its places released; a refund comes separately. */
export function wixOrderCancelled(deps: OrderChangeDeps, tx: Tx, event: WixEvent, cause: Cause): Promise<void> {
  return onWixOrder(deps, tx, event, cause, (order) => deps.payments.ended(tx, order, 'CANCELLED', 'cancelled in Wix', cause));
}
