import { int, orderFromMetadata, paymentIntentLookup, paymentOf, str, stripeUseCase } from './stripe-objects';

/**
 * `payment_intent.succeeded`: the order is paid (registrations active, checkout completed,
 * approved where nothing else approves it) and the payment recorded. An order Orderflow did not
 * start is created from the metadata, paid in the same step; a payment nothing identifies is
 * kept as unmatched.
 *
 * Stripe reports every Checkout payment twice, as `checkout.session.completed` (paid) and as its
 * PaymentIntent's `payment_intent.succeeded`, in either order: both carry the PaymentIntent ID,
 * under which the first report records the payment. The second is the same money: it records
 * nothing and moves nothing, so a Checkout order has one payment and no refused transition.
 */
export const paymentSucceeded = stripeUseCase(paymentIntentLookup, async ({ book, payments }, tx, pi, found, cause) => {
  const payment = paymentOf(pi, 'SUCCEEDED', int(pi.amount_received) || int(pi.amount));
  let order = found;
  if (!order) {
    const orderId = str(pi.metadata?.orderId);
    if (!orderId) return payments.unmatched(tx, payment, cause);
    // Created with its PaymentIntent and paid in one go: a new order has no payments yet.
    await payments.createPaid(tx, orderFromMetadata(orderId, pi, { paymentIntentId: pi.id, totalCents: int(pi.amount), currency: str(pi.currency) ?? 'usd' }), payment, cause);
    return;
  }
  if (!order.providerCheckoutRef) order = await book.patch(tx, order, { providerCheckoutRef: pi.id });
  // A known order may have the Session's payment already.
  if (await payments.succeeded(tx, order.id, payment.providerPaymentRef)) return;
  await payments.record(tx, order.id, payment, cause);
  await payments.paid(tx, order, cause);
});
