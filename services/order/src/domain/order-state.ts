import type { OrderEventType, OrderStatus } from '@orderflow/events';

/**
 * The one table of allowed order transitions. Anything not listed (a late payment_failed after
 * PAID, a paid after REFUNDED) is refused: recorded in the order's history, counted, never applied.
 *
 * - FAILED → PAID: Stripe lets a customer retry a failed PaymentIntent with another card; money
 *   that arrives is never ignored.
 * - PENDING → APPROVED: a Wix order approved before payment (offline or manual payment).
 * - PAID/APPROVED → CANCELLED: Wix cancels orders after payment; the refund comes separately.
 * - PARTIALLY_REFUNDED → PARTIALLY_REFUNDED: a second partial refund.
 */
const ALLOWED: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['PAID', 'APPROVED', 'FAILED', 'CANCELLED'],
  FAILED: ['PAID', 'CANCELLED'],
  PAID: ['APPROVED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'DISPUTED', 'CANCELLED'],
  APPROVED: ['FULFILLED', 'REFUNDED', 'PARTIALLY_REFUNDED', 'DISPUTED', 'CANCELLED'],
  FULFILLED: ['REFUNDED', 'PARTIALLY_REFUNDED', 'DISPUTED'],
  PARTIALLY_REFUNDED: ['PARTIALLY_REFUNDED', 'REFUNDED', 'DISPUTED', 'FULFILLED'],
  DISPUTED: ['REFUNDED'],
  REFUNDED: [],
  CANCELLED: [],
};

export type TransitionDecision = 'apply' | 'unchanged' | 'illegal';

/** `unchanged`: already there (a redelivered or overlapping event), nothing to do or to count. */
export function decide(from: OrderStatus, to: OrderStatus): TransitionDecision {
  if (ALLOWED[from].includes(to)) return 'apply';
  return from === to ? 'unchanged' : 'illegal';
}

/** Where the money has been taken: capacity held by these orders is spoken for. */
export const PAID_STATUSES: readonly OrderStatus[] = ['PAID', 'APPROVED', 'FULFILLED', 'PARTIALLY_REFUNDED', 'DISPUTED'];

/** The domain events announcing that an order entered `status`, in publication order. */
export function eventsOnEntering(status: OrderStatus): readonly OrderEventType[] {
  switch (status) {
    case 'PENDING':
      return ['order.pending'];
    case 'PAID':
      return ['order.paid'];
    case 'APPROVED':
      return ['order.approved', 'order.ready_to_fulfill'];
    case 'FAILED':
      return ['order.payment_failed'];
    case 'CANCELLED':
      return ['order.cancelled'];
    case 'REFUNDED':
    case 'PARTIALLY_REFUNDED':
      return ['order.refunded'];
    case 'DISPUTED':
      return ['order.disputed'];
    case 'FULFILLED':
      return ['order.fulfilled'];
  }
}
