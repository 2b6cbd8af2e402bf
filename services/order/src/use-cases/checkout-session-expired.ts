import { sessionLookup, type StripeUseCase } from './stripe-objects';

/** `checkout.session.expired`: the order FAILED, its places released, its checkout failed (expired). */
export const checkoutSessionExpired: StripeUseCase = {
  lookup: sessionLookup,
  async handle({ book, payments }, tx, session, cause) {
    const order = await book.lockFirst(tx, sessionLookup(session));
    if (!order) return;
    await payments.ended(tx, order, 'FAILED', 'checkout session expired', cause, { expired: true });
  },
};
