import type { Tx } from '@orderflow/db';
import type { EventOf, StripeEventType } from '@orderflow/events';
import type { OrderBook } from '../data/order-book';
import type { Cause, OrderLookup } from '../domain/order';
import { checkoutSessionCompleted } from '../use-cases/checkout-session-completed';
import { checkoutSessionExpired } from '../use-cases/checkout-session-expired';
import { disputeOpened } from '../use-cases/dispute-opened';
import { paymentFailed } from '../use-cases/payment-failed';
import { paymentSucceeded } from '../use-cases/payment-succeeded';
import type { OrderChangeDeps, Payments } from '../use-cases/payments';
import { refundIssued } from '../use-cases/refund-issued';
import type { StripeObject, StripeUseCase } from '../use-cases/stripe-objects';

type StripeEvent = EventOf<StripeEventType>;

/** The use case of each Stripe event type. */
const USE_CASES: Readonly<Record<StripeEventType, StripeUseCase>> = {
  'payment_intent.succeeded': paymentSucceeded,
  'payment_intent.payment_failed': paymentFailed,
  'charge.refunded': refundIssued,
  'charge.dispute.created': disputeOpened,
  'checkout.session.completed': checkoutSessionCompleted,
  'checkout.session.expired': checkoutSessionExpired,
};

const objectOf = (event: StripeEvent): StripeObject => event.payload.data.object as StripeObject;

/**
 * The consumer of `ingress.stripe.events` (Topics.stripeIngress): each Stripe event's object
 * handed to the use case of its type (seed 001). The run machinery is event-runs.ts.
 */
export class StripeHandler {
  private readonly deps: OrderChangeDeps;

  constructor(book: OrderBook, payments: Payments) {
    this.deps = { book, payments };
  }

  /** What the event's order is looked up by, to be locked ahead with a run's. */
  references(event: StripeEvent): OrderLookup {
    return USE_CASES[event.type].lookup(objectOf(event));
  }

  handle(tx: Tx, event: StripeEvent, cause: Cause): Promise<void> {
    return USE_CASES[event.type].handle(this.deps, tx, objectOf(event), cause);
  }
}
