import type { Tx } from '@orderflow/db';
import type { WixEventType } from '@orderflow/events';
import type { OrderBook } from '../data/order-book';
import type { Cause, OrderLookup } from '../domain/order';
import type { OrderChangeDeps, Payments } from '../use-cases/payments';
import { wixOrderApproved } from '../use-cases/wix-order-approved';
import { wixOrderCancelled } from '../use-cases/wix-order-cancelled';
import { wixOrderFulfilled } from '../use-cases/wix-order-fulfilled';
import { wixOrderPaid } from '../use-cases/wix-order-paid';
import { wixOrderPlaced } from '../use-cases/wix-order-placed';
import { wixOrderUpdated } from '../use-cases/wix-order-updated';
import { wixOrderLookup, type WixEvent } from '../use-cases/wix-orders';

/** The use case of each Wix event type. */
const USE_CASES: Readonly<Record<WixEventType, (deps: OrderChangeDeps, tx: Tx, event: WixEvent, cause: Cause) => Promise<void>>> = {
  'wix.ecom.v1.order_created': wixOrderPlaced,
  'wix.ecom.v1.order_updated': wixOrderUpdated,
  'wix.ecom.v1.order_paid': wixOrderPaid,
  'wix.ecom.v1.order_approved': wixOrderApproved,
  'wix.ecom.v1.order_canceled': wixOrderCancelled,
  'wix.ecom.v1.order_fulfilled': wixOrderFulfilled,
};

/**
 * The consumer of `ingress.wix.events` (Topics.wixIngress): each Wix eCommerce order event
 * handed to the use case of its type (seed 000). The run machinery is event-runs.ts.
 */
export class WixHandler {
  private readonly deps: OrderChangeDeps;

  constructor(book: OrderBook, payments: Payments) {
    this.deps = { book, payments };
  }

  /** What the event's order is looked up by, to be locked ahead with a run's. */
  references(event: WixEvent): OrderLookup {
    return wixOrderLookup(event);
  }

  handle(tx: Tx, event: WixEvent, cause: Cause): Promise<void> {
    return USE_CASES[event.type](this.deps, tx, event, cause);
  }
}
