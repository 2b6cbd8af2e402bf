import type { Tx } from '@orderflow/db';
import type { Cause } from '../domain/order';
import type { OrderChangeDeps } from './payments';
import { emailOf, onWixOrder, str, type WixEvent } from './wix-orders';

/**
 * `order_created`: an order placed in a Wix shop, created (see wix-orders.ts) and tracked. Wix
 * does not deliver in order. The created entity is the order's oldest state: it fills gaps but
 * never overwrites what an earlier-handled update already set.
 */
export function wixOrderPlaced(deps: OrderChangeDeps, tx: Tx, event: WixEvent, cause: Cause): Promise<void> {
  return onWixOrder(deps, tx, event, cause, (order, entity) =>
    deps.book.patch(tx, order, {
      wixOrderNumber: order.wixOrderNumber ?? str(entity.number),
      customerEmail: order.customerEmail ?? emailOf(entity),
    }),
  );
}
