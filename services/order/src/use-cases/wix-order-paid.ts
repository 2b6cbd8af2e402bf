import type { Tx } from '@orderflow/db';
import type { Cause } from '../domain/order';
import type { OrderChangeDeps } from './payments';
import { cents, onWixOrder, type WixEvent } from './wix-orders';

/** `order_paid`: the payment recorded and the order paid (approved at once on an auto-approving instance). */
export function wixOrderPaid(deps: OrderChangeDeps, tx: Tx, event: WixEvent, cause: Cause): Promise<void> {
  return onWixOrder(deps, tx, event, cause, async (order, entity) => {
    const total = cents((entity.priceSummary as { total?: unknown } | undefined)?.total) || order.totalCents;
    await deps.payments.record(tx, order.id, { provider: 'wix', providerPaymentRef: order.id, status: 'SUCCEEDED', amountCents: total, currency: order.currency, raw: entity }, cause);
    return deps.payments.paid(tx, order, cause);
  });
}
