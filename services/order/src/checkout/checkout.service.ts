import { randomUUID } from 'node:crypto';
import type { OutboxRelay } from '@orderflow/db';
import type { Logger } from '@orderflow/logging';
import { BreakerOpenError } from '@orderflow/resilience';
import type { CheckoutLock, PrismaClient } from '../generated/prisma/client';
import { ACTIVE_LOCK_STATES, type Checkouts, type PhaseEntry } from '../domain/checkouts';
import type { Cause, NewLine, OrderBook } from '../domain/order-book';
import type { Payments } from '../domain/payments';
import type { Places } from '../domain/places';
import type { OrderMetrics } from '../order.metrics';
import type { StripeGateway } from '../stripe.gateway';

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

export interface CheckoutServiceDeps {
  prisma: PrismaClient;
  book: OrderBook;
  places: Places;
  payments: Payments;
  checkouts: Checkouts;
  stripe: StripeGateway | undefined;
  relay: OutboxRelay;
  metrics: OrderMetrics;
  logger: Logger;
  lockTtlMs: number;
}

const now = () => new Date().toISOString();

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
export class CheckoutService {
  constructor(private readonly deps: CheckoutServiceDeps) {}

  async start(instanceId: string, request: CheckoutRequest, traceId: string): Promise<CheckoutStarted> {
    const { deps } = this;
    const stripe = deps.stripe;
    if (!stripe) throw new CheckoutError(503, 'Checkout is not configured: STRIPE_SECRET_KEY is not set');
    const lock = await this.acquire(instanceId, request.cartId);
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
      const locked = await deps.checkouts.recordPhase(tx, lock, this.entry('reserve', 'ok', waitlistedLines.length ? `${waitlistedLines.length} line(s) waitlisted` : undefined), {
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
      await this.rollBack(orderId, 'authorize', err, cause);
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
        const current = await tx.checkoutLock.findUniqueOrThrow({ where: { id: lock.id } });
        if (!ACTIVE_LOCK_STATES.includes(current.state as (typeof ACTIVE_LOCK_STATES)[number])) return current; // a fast webhook already completed it
        return deps.checkouts.recordPhase(tx, current, this.entry('awaiting_payment', 'ok'), {
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
      await this.cancelAtStripe(created);
      await this.rollBack(orderId, 'awaiting_payment', err, cause);
      throw new CheckoutError(503, 'The checkout could not be recorded; nothing was charged', { orderId, lockId: lock.id });
    }
  }

  /**
   * Ends checkouts whose lock expired without a payment: the order fails, its places go back,
   * `checkout.failed` (expired) is published and the PaymentIntent is cancelled. Returns how many.
   */
  async sweepExpired(limit = 50): Promise<number> {
    const { deps } = this;
    const expired = await deps.prisma.checkoutLock.findMany({
      where: { state: { in: [...ACTIVE_LOCK_STATES] }, expiresAt: { lt: new Date() } },
      orderBy: { expiresAt: 'asc' },
      take: limit,
    });
    let swept = 0;
    for (const lock of expired) {
      if (await this.expire(lock.id)) swept++;
    }
    return swept;
  }

  /** The lock of a cart, with its order's status. */
  async status(instanceId: string, cartId: string) {
    const lock = await this.deps.prisma.checkoutLock.findUnique({ where: { instanceId_cartId: { instanceId, cartId } } });
    if (!lock) return null;
    const order = lock.orderId ? await this.deps.prisma.order.findUnique({ where: { id: lock.orderId }, select: { status: true } }) : null;
    return { lock, orderStatus: order?.status ?? null };
  }

  private async expire(lockId: string): Promise<boolean> {
    const { deps } = this;
    const cause: Cause = { kind: 'checkout.expired', eventId: `checkout-expired:${lockId}`, traceId: `sweep-${randomUUID()}` };
    const ended = await deps.prisma.$transaction(async (tx) => {
      const rows = await tx.$queryRawUnsafe<Array<{ id: string }>>(
        `SELECT id FROM checkout_locks WHERE id = $1 AND state IN ('LOCKED', 'AWAITING_PAYMENT') AND expires_at < now() FOR UPDATE SKIP LOCKED`,
        lockId,
      );
      if (rows.length === 0) return null;
      const lock = await tx.checkoutLock.findUniqueOrThrow({ where: { id: lockId } });
      const order = lock.orderId ? await deps.book.lock(tx, lock.orderId) : null;
      if (!order) {
        await deps.checkouts.recordPhase(tx, lock, this.entry(lock.phase, 'failed', 'expired before an order was created'), { state: 'EXPIRED', completedAt: new Date() });
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
    await this.cancelAtStripe({ paymentIntentId: ended.paymentIntentId, sessionId: ended.checkoutSessionId });
    return true;
  }

  /** Takes the cart's lock, or refuses with 409; an expired lock is swept first, then taken. */
  private async acquire(instanceId: string, cartId: string): Promise<CheckoutLock> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const id = `lock_${randomUUID()}`;
      const expiresAt = new Date(Date.now() + this.deps.lockTtlMs);
      const taken = await this.deps.prisma.$queryRawUnsafe<Array<{ id: string }>>(
        `INSERT INTO checkout_locks (id, instance_id, cart_id, state, phase, phases, expires_at)
         VALUES ($1, $2, $3, 'LOCKED', 'lock', $4::jsonb, $5)
         ON CONFLICT (instance_id, cart_id) DO UPDATE SET
           id = EXCLUDED.id, state = 'LOCKED', phase = 'lock', phases = EXCLUDED.phases, order_id = NULL,
           payment_intent_id = NULL, checkout_session_id = NULL, error = NULL, locked_at = now(),
           expires_at = EXCLUDED.expires_at, completed_at = NULL
         WHERE checkout_locks.state NOT IN ('LOCKED', 'AWAITING_PAYMENT')
         RETURNING id`,
        id,
        instanceId,
        cartId,
        JSON.stringify([this.entry('lock', 'ok')]),
        expiresAt,
      );
      if (taken.length === 1) return this.deps.prisma.checkoutLock.findUniqueOrThrow({ where: { id } });
      const held = await this.deps.prisma.checkoutLock.findUnique({ where: { instanceId_cartId: { instanceId, cartId } } });
      if (!held || held.expiresAt.getTime() > Date.now() || !(await this.expire(held.id))) {
        this.deps.metrics.checkouts.inc({ outcome: 'conflict' });
        throw new CheckoutError(409, 'A checkout of this cart is already in progress', { lockId: held?.id, expiresAt: held?.expiresAt.toISOString() });
      }
    }
    throw new CheckoutError(409, 'A checkout of this cart is already in progress');
  }

  /** Undoes the reserve phase after a later phase failed. */
  private async rollBack(orderId: string, phase: string, err: unknown, cause: Cause): Promise<void> {
    const { deps } = this;
    const reason = `${phase} failed: ${err instanceof Error ? err.message : String(err)}`;
    deps.logger.warn({ orderId, phase, err: err instanceof Error ? err.message : String(err) }, 'checkout failed; rolling back');
    try {
      await deps.prisma.$transaction(async (tx) => {
        const order = await deps.book.lock(tx, orderId);
        if (!order) return;
        const lock = await tx.checkoutLock.findFirst({ where: { orderId } });
        if (lock) await deps.checkouts.recordPhase(tx, lock, this.entry(phase, 'rolled_back', reason));
        await deps.payments.ended(tx, order, 'FAILED', reason, cause);
      });
      deps.relay.notify();
    } catch (rollbackErr) {
      // The lock's expiry will sweep what could not be undone now.
      deps.logger.error({ orderId, err: rollbackErr }, 'checkout rollback failed; the lock sweeper will finish it');
    }
  }

  private async cancelAtStripe(created: { paymentIntentId: string | null; sessionId: string | null }): Promise<void> {
    const stripe = this.deps.stripe;
    if (!stripe) return;
    try {
      if (created.sessionId) await stripe.expireCheckoutSession(created.sessionId);
      else if (created.paymentIntentId) await stripe.cancelPaymentIntent(created.paymentIntentId, 'abandoned');
    } catch (err) {
      this.deps.logger.warn({ err, ...created }, 'could not cancel the payment at Stripe');
    }
  }

  private entry(phase: string, outcome: PhaseEntry['outcome'], detail?: string): PhaseEntry {
    return { phase, at: now(), outcome, ...(detail ? { detail } : {}) };
  }
}
