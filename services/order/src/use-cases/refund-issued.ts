import type { PaymentRecord } from '../domain/payments';
import { chargeLookup, int, str, stripeUseCase } from './stripe-objects';

/**
 * `charge.refunded`: the refund recorded; refunded in full, the order is REFUNDED (registrations
 * cancelled, places released, the waitlist promoted), else PARTIALLY_REFUNDED. A refund of a
 * charge no order is found for is kept as unmatched.
 */
export const refundIssued = stripeUseCase(chargeLookup, async ({ payments }, tx, charge, order, cause) => {
  const refundedCents = int(charge.amount_refunded);
  const payment: PaymentRecord = {
    provider: 'stripe',
    providerPaymentRef: charge.id,
    status: charge.refunded === true ? 'REFUNDED' : 'PARTIALLY_REFUNDED',
    amountCents: refundedCents,
    currency: str(charge.currency) ?? 'usd',
    raw: charge,
  };
  if (!order) return payments.unmatched(tx, payment, cause);
  await payments.record(tx, order.id, payment, cause);
  // `refunded` is Stripe's own "fully refunded" flag; amounts decide when it is absent.
  const total = charge.refunded === true ? Math.max(refundedCents, order.totalCents) : refundedCents;
  await payments.refunded(tx, order, total, cause);
});
