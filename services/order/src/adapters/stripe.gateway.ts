import { createBreaker, type Breaker } from '@orderflow/resilience';
import type { Registry } from 'prom-client';
import Stripe from 'stripe';

export interface StripeGatewayOptions {
  secretKey: string;
  /** Where Stripe's API lives; tests point it at a fake on loopback. */
  apiBase: string;
  timeoutMs: number;
}

export interface PaymentIntentRequest {
  amountCents: number;
  currency: string;
  orderId: string;
  instanceId: string;
  customerEmail: string | null;
  /** Stripe deduplicates on it: a retried create returns the same PaymentIntent. */
  idempotencyKey: string;
}

export interface CheckoutSessionRequest extends PaymentIntentRequest {
  lines: Array<{ name: string; quantity: number; unitAmountCents: number }>;
  successUrl: string;
  cancelUrl: string;
  expiresAt: Date;
}

/** Stripe's answers we did not cause: outages, timeouts, rate limits. Those open the breaker. */
function isStripesFault(err: unknown): boolean {
  if (err instanceof Stripe.errors.StripeError) {
    return err instanceof Stripe.errors.StripeAPIError || err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeRateLimitError || (err.statusCode ?? 0) >= 500;
  }
  return true;
}

/**
 * The order service's calls to Stripe's API, each behind one circuit breaker (`stripe`), so a
 * Stripe outage fails checkouts fast instead of holding every request for its timeout. Our
 * order ID travels in every object's metadata: the webhooks that come back find the order by it.
 */
export class StripeGateway {
  private readonly stripe: Stripe;
  private readonly call: Breaker<[() => Promise<unknown>], unknown>;

  constructor(options: StripeGatewayOptions, registry: Registry) {
    const base = new URL(options.apiBase);
    this.stripe = new Stripe(options.secretKey, {
      host: base.hostname,
      port: base.port ? Number(base.port) : undefined,
      protocol: base.protocol === 'http:' ? 'http' : 'https',
      timeout: options.timeoutMs,
      maxNetworkRetries: 1,
      appInfo: { name: 'orderflow-order' },
    });
    this.call = createBreaker('stripe', (fn: () => Promise<unknown>) => fn(), { timeoutMs: options.timeoutMs + 1_000, isFailure: isStripesFault }, registry);
  }

  async createPaymentIntent(request: PaymentIntentRequest): Promise<{ id: string; clientSecret: string }> {
    const intent = (await this.call.fire(() =>
      this.stripe.paymentIntents.create(
        {
          amount: request.amountCents,
          currency: request.currency,
          receipt_email: request.customerEmail ?? undefined,
          automatic_payment_methods: { enabled: true },
          metadata: { orderId: request.orderId, instanceId: request.instanceId },
        },
        { idempotencyKey: request.idempotencyKey },
      ),
    )) as Stripe.PaymentIntent;
    return { id: intent.id, clientSecret: intent.client_secret ?? '' };
  }

  async createCheckoutSession(request: CheckoutSessionRequest): Promise<{ id: string; url: string; paymentIntentId: string | null }> {
    const session = (await this.call.fire(() =>
      this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          client_reference_id: request.orderId,
          customer_email: request.customerEmail ?? undefined,
          success_url: request.successUrl,
          cancel_url: request.cancelUrl,
          expires_at: Math.floor(request.expiresAt.getTime() / 1000),
          metadata: { orderId: request.orderId, instanceId: request.instanceId },
          payment_intent_data: { metadata: { orderId: request.orderId, instanceId: request.instanceId } },
          line_items: request.lines.map((line) => ({
            quantity: line.quantity,
            price_data: { currency: request.currency, unit_amount: line.unitAmountCents, product_data: { name: line.name } },
          })),
        },
        { idempotencyKey: request.idempotencyKey },
      ),
    )) as Stripe.Checkout.Session;
    const intent = typeof session.payment_intent === 'string' ? session.payment_intent : (session.payment_intent?.id ?? null);
    return { id: session.id, url: session.url ?? '', paymentIntentId: intent };
  }

  /** Cancels a PaymentIntent nobody paid; one already cancelled is fine. */
  async cancelPaymentIntent(id: string, reason: 'abandoned' | 'requested_by_customer'): Promise<void> {
    try {
      await this.call.fire(() => this.stripe.paymentIntents.cancel(id, { cancellation_reason: reason }));
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'payment_intent_unexpected_state') return;
      throw err;
    }
  }

  async expireCheckoutSession(id: string): Promise<void> {
    try {
      await this.call.fire(() => this.stripe.checkout.sessions.expire(id));
    } catch (err) {
      if (err instanceof Stripe.errors.StripeInvalidRequestError) return; // already expired or completed
      throw err;
    }
  }

  /** Asks Stripe to refund; the order changes when Stripe's charge.refunded webhook arrives. */
  async refund(paymentIntentId: string, amountCents: number | undefined, idempotencyKey: string): Promise<{ id: string; status: string }> {
    const refund = (await this.call.fire(() =>
      this.stripe.refunds.create({ payment_intent: paymentIntentId, amount: amountCents, metadata: {} }, { idempotencyKey }),
    )) as Stripe.Refund;
    return { id: refund.id, status: refund.status ?? 'pending' };
  }

  shutdown(): void {
    this.call.shutdown();
  }
}
