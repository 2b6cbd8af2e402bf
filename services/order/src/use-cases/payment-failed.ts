import { int, paymentIntentLookup, paymentOf, stripeUseCase } from './stripe-objects';

/** `payment_intent.payment_failed`: the order FAILED with Stripe's reason, the attempt recorded. */
export const paymentFailed = stripeUseCase(paymentIntentLookup, async ({ book, payments }, tx, pi, order, cause) => {
  if (!order) return; // no money moved: nothing to keep
  const error = pi.last_payment_error as { message?: string; code?: string } | null | undefined;
  const reason = error?.message ?? error?.code ?? 'payment failed';
  await payments.record(tx, order.id, paymentOf(pi, 'FAILED', int(pi.amount)), cause);
  // FAILED keeps the places: Stripe lets the customer retry the same PaymentIntent, and the
  // checkout's lock expiry gives them back if no retry succeeds.
  await book.transition(tx, order, 'FAILED', cause, { reason });
});
