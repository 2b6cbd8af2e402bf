import type { Tx } from '@orderflow/db';
import type { Cause } from '../domain/order';
import type { OrderChangeDeps } from './payments';
import { emailOf, onWixOrder, str, type WixEvent } from './wix-orders';

/** `order_updated`: the order's Wix number and buyer's email as Wix now has them. */
export function wixOrderUpdated(deps: OrderChangeDeps, tx: Tx, event: WixEvent, cause: Cause): Promise<void> {
  return onWixOrder(deps, tx, event, cause, (order, entity) =>
    deps.book.patch(tx, order, {
      wixOrderNumber: str(entity.number) ?? order.wixOrderNumber,
      customerEmail: emailOf(entity) ?? order.customerEmail,
    }),
  );
}
