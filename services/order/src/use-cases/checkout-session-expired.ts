import { sessionLookup, stripeUseCase } from './stripe-objects';

/** `checkout.session.expired`: the order FAILED, its places released, its checkout failed (expired). */
export const checkoutSessionExpired = stripeUseCase(sessionLookup, async ({ payments }, tx, _session, order, cause) => {
  if (!order) return;
  await payments.ended(tx, order, 'FAILED', 'checkout session expired', cause, { expired: true });
});
