import { randomUUID } from 'node:crypto';
import { claimExpiredLock } from '../data/checkout-lock-rows';
import { expiredLocks, lockById, recordPhase } from '../data/checkout-locks.repository';
import { phaseEntry } from '../domain/checkouts';
import type { Cause } from '../domain/order';
import type { CheckoutServiceDeps } from './checkout.service';

/**
 * Ends checkouts whose lock expired without a payment: the order fails, its places go back,
 * `checkout.failed` (expired) is published and the PaymentIntent is cancelled. Returns how many.
 */
export async function sweepExpiredCheckouts(deps: CheckoutServiceDeps, limit = 50): Promise<number> {
  let swept = 0;
  for (const lock of await expiredLocks(deps.prisma, limit)) {
    if (await expireCheckout(deps, lock.id)) swept++;
  }
  return swept;
}

/** Ends the checkout of lock `lockId` if it is still running and has expired; whether it did. */
export async function expireCheckout(deps: CheckoutServiceDeps, lockId: string): Promise<boolean> {
  const cause: Cause = { kind: 'checkout.expired', eventId: `checkout-expired:${lockId}`, traceId: `sweep-${randomUUID()}` };
  const ended = await deps.prisma.$transaction(async (tx) => {
    if (!(await claimExpiredLock(tx, lockId))) return null;
    const lock = await lockById(tx, lockId);
    const order = lock.orderId ? await deps.book.lock(tx, lock.orderId) : null;
    if (!order) {
      await recordPhase(tx, lock, phaseEntry(lock.phase, 'failed', 'expired before an order was created'), { state: 'EXPIRED', completedAt: new Date() });
      return lock;
    }
    if (order.status === 'PENDING') {
      await deps.payments.ended(tx, order, 'FAILED', 'checkout expired', cause, { expired: true });
    } else if (order.status === 'FAILED') {
      // Its payment failed earlier and kept the places for a retry that never came.
      await deps.places.release(tx, order, cause);
      await deps.checkouts.failFor(tx, (await deps.book.reload(tx, order.id))!, 'checkout expired', cause, { expired: true });
    } else {
      await deps.checkouts.completeFor(tx, order, cause);
    }
    return lock;
  });
  if (!ended) return false;
  deps.relay.notify();
  await cancelAtStripe(deps, { paymentIntentId: ended.paymentIntentId, sessionId: ended.checkoutSessionId });
  return true;
}

/** Cancels what a checkout created at Stripe, so it cannot be paid any more; a failure is only logged. */
export async function cancelAtStripe(deps: Pick<CheckoutServiceDeps, 'stripe' | 'logger'>, created: { paymentIntentId: string | null; sessionId: string | null }): Promise<void> {
  const stripe = deps.stripe;
  if (!stripe) return;
  try {
    if (created.sessionId) await stripe.expireCheckoutSession(created.sessionId);
    else if (created.paymentIntentId) await stripe.cancelPaymentIntent(created.paymentIntentId, 'abandoned');
  } catch (err) {
    deps.logger.warn({ err, ...created }, 'could not cancel the payment at Stripe');
  }
}
