import { randomUUID } from 'node:crypto';
import { BreakerOpenError } from '@orderflow/resilience';
import { takeCartLock } from '../data/checkout-lock-rows';
import { lockById, lockOfCart, lockOfOrder, recordPhase } from '../data/checkout-locks.repository';
import { ACTIVE_LOCK_STATES, phaseEntry } from '../domain/checkouts';
import type { Cause, NewLine } from '../domain/order';
import type { CheckoutLock } from '../generated/prisma/client';
import type { CheckoutServiceDeps } from './checkout.service';
import { cancelAtStripe, expireCheckout } from './expire-checkouts';

export interface CheckoutRequest {
  cartId: string;
  currency: string;
  customer: { email: string | null; name: string | null };
  lines: NewLine[];
  /** `payment_intent`: a client secret for Stripe Elements; `checkout_session`: a hosted page URL. */
  mode: 'payment_intent' | 'checkout_session';
  successUrl?: string;
  cancelUrl?: string;
}

export type CheckoutStarted = {
  lockId: string;
  orderId: string;
  status: 'AWAITING_PAYMENT';
  expiresAt: string;
  paymentIntentId: string | null;
  clientSecret: string | null;
  checkoutSessionId: string | null;
  checkoutUrl: string | null;
  /** Ticket lines that found no place and wait for one. */
  waitlistedLineIds: string[];
};

/** Why a checkout could not start, as the HTTP layer answers it. */
export class CheckoutError extends Error {
  constructor(
    readonly status: 409 | 502 | 503,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/**
 * Checkout with a lock per cart (seed 002), in phases recorded on the lock:
 *
 *   lock → reserve (PENDING order, places or waitlist) → authorize (Stripe) → awaiting_payment
 *
 * A second checkout of a cart whose lock is held is refused (409). A failure after the order
 * exists rolls back what came before: the PaymentIntent is cancelled, places are released, the
 * order fails and `checkout.failed` is published. The lock then ends when the payment webhook
 * completes the order, or when it expires and the sweeper fails the checkout.
 */
export async function startCheckout(deps: CheckoutServiceDeps, instanceId: string, request: CheckoutRequest, traceId: string): Promise<CheckoutStarted> {
  const stripe = deps.stripe;
  if (!stripe) throw new CheckoutError(503, 'Checkout is not configured: STRIPE_SECRET_KEY is not set');
  const lock = await acquire(deps, instanceId, request.cartId);
  const cause: Cause = { kind: 'checkout', eventId: `checkout:${lock.id}`, traceId };

  // Phase: reserve. One transaction: the order, its places, and the announcement.
  const { orderId, waitlisted } = await deps.prisma.$transaction(async (tx) => {
    const order = await deps.book.create(
      tx,
      { instanceId, source: 'checkout', currency: request.currency, customerEmail: request.customer.email, customerName: request.customer.name, cartId: request.cartId, lines: request.lines },
      cause,
    );
    const waitlistedLines = await deps.places.reserve(tx, order);
    const reserved = (await deps.book.reload(tx, order.id))!;
    const locked = await recordPhase(tx, lock, phaseEntry('reserve', 'ok', waitlistedLines.length ? `${waitlistedLines.length} line(s) waitlisted` : undefined), {
      orderId: order.id,
    });
    await deps.checkouts.announce(tx, 'checkout.started', locked, reserved, cause, null, false);
    return { orderId: order.id, waitlisted: waitlistedLines };
  });
  deps.relay.notify();

  // Phase: authorize. Outside any transaction: no database connection waits on Stripe.
  let created: { paymentIntentId: string | null; clientSecret: string | null; sessionId: string | null; url: string | null };
  const total = request.lines.reduce((sum, line) => sum + line.quantity * line.unitAmountCents, 0);
  const payment = { amountCents: total, currency: request.currency.toLowerCase(), orderId, instanceId, customerEmail: request.customer.email, idempotencyKey: `checkout-${lock.id}` };
  try {
    if (request.mode === 'checkout_session') {
      const session = await stripe.createCheckoutSession({
        ...payment,
        lines: request.lines.map((line) => ({ name: line.name ?? line.productId, quantity: line.quantity, unitAmountCents: line.unitAmountCents })),
        successUrl: request.successUrl ?? '',
        cancelUrl: request.cancelUrl ?? '',
        // Stripe allows 30 minutes to 24 hours; the lock outlives the session slightly.
        expiresAt: new Date(Math.max(lock.expiresAt.getTime(), Date.now() + 30 * 60_000 + 5_000)),
      });
      created = { paymentIntentId: session.paymentIntentId, clientSecret: null, sessionId: session.id, url: session.url };
    } else {
      const intent = await stripe.createPaymentIntent(payment);
      created = { paymentIntentId: intent.id, clientSecret: intent.clientSecret, sessionId: null, url: null };
    }
  } catch (err) {
    await rollBack(deps, orderId, 'authorize', err, cause);
    throw new CheckoutError(err instanceof BreakerOpenError ? 503 : 502, 'The payment provider could not start the payment; nothing was charged', { orderId, lockId: lock.id });
  }

  // Phase: awaiting_payment. If this fails the PaymentIntent must not stay payable.
  try {
    const locked = await deps.prisma.$transaction(async (tx) => {
      const order = (await deps.book.lock(tx, orderId))!;
      await deps.book.patch(tx, order, {
        ...(order.providerCheckoutRef ? {} : { providerCheckoutRef: created.paymentIntentId }),
        checkoutSessionId: created.sessionId,
      });
      const current = await lockById(tx, lock.id);
      if (!ACTIVE_LOCK_STATES.includes(current.state as (typeof ACTIVE_LOCK_STATES)[number])) return current; // a fast webhook already completed it
      return recordPhase(tx, current, phaseEntry('awaiting_payment', 'ok'), {
        state: 'AWAITING_PAYMENT',
        paymentIntentId: created.paymentIntentId,
        checkoutSessionId: created.sessionId,
      });
    });
    deps.metrics.checkouts.inc({ outcome: 'started' });
    return {
      lockId: locked.id,
      orderId,
      status: 'AWAITING_PAYMENT',
      expiresAt: locked.expiresAt.toISOString(),
      paymentIntentId: created.paymentIntentId,
      clientSecret: created.clientSecret,
      checkoutSessionId: created.sessionId,
      checkoutUrl: created.url,
      waitlistedLineIds: waitlisted,
    };
  } catch (err) {
    await cancelAtStripe(deps, created);
    await rollBack(deps, orderId, 'awaiting_payment', err, cause);
    throw new CheckoutError(503, 'The checkout could not be recorded; nothing was charged', { orderId, lockId: lock.id });
  }
}

/** Takes the cart's lock, or refuses with 409; an expired lock is swept first, then taken. */
async function acquire(deps: CheckoutServiceDeps, instanceId: string, cartId: string): Promise<CheckoutLock> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const id = `lock_${randomUUID()}`;
    const expiresAt = new Date(Date.now() + deps.lockTtlMs);
    if (await takeCartLock(deps.prisma, { id, instanceId, cartId, first: phaseEntry('lock', 'ok'), expiresAt })) return lockById(deps.prisma, id);
    const held = await lockOfCart(deps.prisma, instanceId, cartId);
    if (!held || held.expiresAt.getTime() > Date.now() || !(await expireCheckout(deps, held.id))) {
      deps.metrics.checkouts.inc({ outcome: 'conflict' });
      throw new CheckoutError(409, 'A checkout of this cart is already in progress', { lockId: held?.id, expiresAt: held?.expiresAt.toISOString() });
    }
  }
  throw new CheckoutError(409, 'A checkout of this cart is already in progress');
}

/** Undoes the reserve phase after a later phase failed. */
async function rollBack(deps: CheckoutServiceDeps, orderId: string, phase: string, err: unknown, cause: Cause): Promise<void> {
  const reason = `${phase} failed: ${err instanceof Error ? err.message : String(err)}`;
  deps.logger.warn({ orderId, phase, err: err instanceof Error ? err.message : String(err) }, 'checkout failed; rolling back');
  try {
    await deps.prisma.$transaction(async (tx) => {
      const order = await deps.book.lock(tx, orderId);
      if (!order) return;
      const lock = await lockOfOrder(tx, orderId);
      if (lock) await recordPhase(tx, lock, phaseEntry(phase, 'rolled_back', reason));
      await deps.payments.ended(tx, order, 'FAILED', reason, cause);
    });
    deps.relay.notify();
  } catch (rollbackErr) {
    // The lock's expiry will sweep what could not be undone now.
    deps.logger.error({ orderId, err: rollbackErr }, 'checkout rollback failed; the lock sweeper will finish it');
  }
}
