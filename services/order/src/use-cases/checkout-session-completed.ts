import { emailOf, int, orderFromMetadata, paymentOf, sessionLookup, str, stripeUseCase } from './stripe-objects';

/**
 * `checkout.session.completed`: the Stripe Checkout Session is linked to its order (created from
 * the metadata when Orderflow did not start it) and, when paid, the order is paid as by
 * `payment_intent.succeeded`, whichever of the two reports comes first (see payment-succeeded.ts).
 */
export const checkoutSessionCompleted = stripeUseCase(sessionLookup, async ({ book, payments }, tx, session, found, cause) => {
  const paymentIntentId = str(session.payment_intent);
  let order = found;
  const paid = session.payment_status === 'paid';
  const currency = str(session.currency) ?? 'usd';
  const payment = paymentOf(session, 'SUCCEEDED', int(session.amount_total), paymentIntentId ?? session.id);
  const known = order !== null;
  if (!order) {
    const orderId = str(session.metadata?.orderId) ?? str(session.client_reference_id);
    if (!orderId) return paid ? payments.unmatched(tx, payment, cause) : undefined;
    order = await book.create(tx, orderFromMetadata(orderId, session, { paymentIntentId, totalCents: int(session.amount_total), currency, checkoutSessionId: session.id }), cause);
  }
  order = await book.patch(tx, order, {
    checkoutSessionId: session.id,
    ...(order.providerCheckoutRef || !paymentIntentId ? {} : { providerCheckoutRef: paymentIntentId }),
    ...(order.customerEmail ? {} : { customerEmail: emailOf(session) }),
  });
  if (!paid) return;
  if (known && (await payments.succeeded(tx, order.id, payment.providerPaymentRef))) return; // the PaymentIntent reported it
  await payments.record(tx, order.id, payment, cause);
  await payments.paid(tx, order, cause);
});
