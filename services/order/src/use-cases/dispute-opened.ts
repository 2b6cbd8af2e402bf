import { chargeLookup, int, paymentOf, str, stripeUseCase } from './stripe-objects';

/** `charge.dispute.created`: the order DISPUTED with the dispute's reason, the dispute recorded. */
export const disputeOpened = stripeUseCase(chargeLookup, async ({ book, payments }, tx, dispute, order, cause) => {
  const payment = paymentOf(dispute, 'DISPUTED', int(dispute.amount));
  if (!order) return payments.unmatched(tx, payment, cause);
  await payments.record(tx, order.id, payment, cause);
  await book.transition(tx, order, 'DISPUTED', cause, { reason: str(dispute.reason) ?? 'disputed' });
});
