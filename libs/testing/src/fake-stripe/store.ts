import { randomBytes } from 'node:crypto';
import type { FakeCharge, FakeCheckoutSession, FakePaymentIntent, FakeRefund } from './objects';
import { StripeFailure, invalidRequest, type Params } from './params';

export type StripeObject = FakePaymentIntent | FakeCheckoutSession | FakeCharge | FakeRefund;
type PaymentIntentFields = Pick<
  FakePaymentIntent,
  'amount' | 'currency' | 'metadata' | 'description' | 'receipt_email' | 'capture_method' | 'automatic_payment_methods'
>;

/** Stripe allows a Checkout Session to expire between 30 minutes and 24 hours after creation. */
const SESSION_MIN_LIFETIME_S = 30 * 60;
const SESSION_MAX_LIFETIME_S = 24 * 60 * 60;
const ALPHANUMERIC = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `pi_3NxZ…`-style IDs; random rather than sequential so tests cannot come to rely on the order. */
export function stripeId(prefix: string, length = 24): string {
  return `${prefix}_${randomAlphanumeric(length)}`;
}

function randomAlphanumeric(length: number): string {
  return Array.from(randomBytes(length), (byte) => ALPHANUMERIC[byte % ALPHANUMERIC.length]).join('');
}

export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The fake's account: its objects and the API operations on them. Every operation is synchronous,
 * which the idempotency replay relies on (see fake-stripe.ts). Objects are returned by reference;
 * callers copy before handing them out.
 */
export class StripeStore {
  readonly paymentIntents = new Map<string, FakePaymentIntent>();
  readonly checkoutSessions = new Map<string, FakeCheckoutSession>();
  readonly charges = new Map<string, FakeCharge>();
  readonly refunds = new Map<string, FakeRefund>();

  /** `baseUrl` hosts the (unserved) payment pages that Checkout Session URLs point to. */
  constructor(private readonly baseUrl: string) {}

  createPaymentIntent(params: Params): FakePaymentIntent {
    const automatic = params.object('automatic_payment_methods')?.boolean('enabled');
    return this.insertPaymentIntent({
      amount: params.requiredInt('amount', 1),
      currency: params.currency('currency'),
      metadata: params.metadata(),
      description: params.string('description') ?? null,
      receipt_email: params.string('receipt_email') ?? null,
      capture_method: params.oneOf('capture_method', ['automatic', 'automatic_async', 'manual']) ?? 'automatic_async',
      // Recent API versions turn automatic payment methods on unless told otherwise.
      automatic_payment_methods: { enabled: automatic ?? true },
    });
  }

  paymentIntent(id: string): FakePaymentIntent {
    return found(this.paymentIntents.get(id), 'payment_intent', id, 'intent');
  }

  cancelPaymentIntent(id: string, params: Params): FakePaymentIntent {
    const intent = this.paymentIntent(id);
    const reason = params.oneOf('cancellation_reason', ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned']);
    if (intent.status !== 'requires_payment_method') {
      throw invalidRequest(
        `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one ` +
          'of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, ' +
          'requires_action, processing.',
        { code: 'payment_intent_unexpected_state' },
      );
    }
    return cancel(intent, reason ?? null);
  }

  createCheckoutSession(params: Params): FakeCheckoutSession {
    const mode = params.requiredString('mode');
    if (mode !== 'payment') throw invalidRequest(`The fake supports mode=payment only, not ${mode}.`, { param: 'mode' });
    const items = params.list('line_items');
    if (items.length === 0) params.missing('line_items');
    let currency: string | undefined;
    let total = 0;
    for (const item of items) {
      const price = item.string('price');
      if (price) throw invalidRequest(`No such price: '${price}'`, { code: 'resource_missing', param: item.name('price') });
      const priceData = item.requiredObject('price_data');
      priceData.requiredObject('product_data').requiredString('name');
      const itemCurrency = priceData.currency('currency');
      if (currency && itemCurrency !== currency) {
        throw invalidRequest('All line items must use the same currency.', { param: priceData.name('currency') });
      }
      currency = itemCurrency;
      total += priceData.requiredInt('unit_amount', 0) * item.requiredInt('quantity', 1);
    }
    const created = unixNow();
    const expiresAt = params.int('expires_at', 0) ?? created + SESSION_MAX_LIFETIME_S;
    if (expiresAt < created + SESSION_MIN_LIFETIME_S || expiresAt > created + SESSION_MAX_LIFETIME_S) {
      throw invalidRequest('The `expires_at` timestamp must be between 30 minutes and 24 hours from now.', { param: 'expires_at' });
    }
    // Stripe now creates a Checkout PaymentIntent lazily; creating it up front gives tests an ID to succeed().
    const intent = this.insertPaymentIntent({
      amount: total,
      currency: currency!,
      metadata: params.object('payment_intent_data')?.metadata() ?? {},
      description: null,
      receipt_email: null,
      capture_method: 'automatic_async',
      automatic_payment_methods: null,
    });
    const id = stripeId('cs_test', 58);
    const session: FakeCheckoutSession = {
      id,
      object: 'checkout.session',
      amount_subtotal: total,
      amount_total: total,
      cancel_url: params.string('cancel_url') ?? null,
      client_reference_id: params.string('client_reference_id') ?? null,
      created,
      currency: currency!,
      customer_email: params.string('customer_email') ?? null,
      expires_at: expiresAt,
      livemode: false,
      metadata: params.metadata(),
      mode: 'payment',
      payment_intent: intent.id,
      payment_status: 'unpaid',
      status: 'open',
      success_url: params.string('success_url') ?? null,
      url: `${this.baseUrl}/pay/${id}`,
    };
    this.checkoutSessions.set(id, session);
    return session;
  }

  checkoutSession(id: string): FakeCheckoutSession {
    return found(this.checkoutSessions.get(id), 'checkout.session', id, 'session');
  }

  /** As in Stripe, expiring a session also cancels its PaymentIntent. */
  expireCheckoutSession(id: string): FakeCheckoutSession {
    const session = this.checkoutSession(id);
    if (session.status !== 'open') {
      throw invalidRequest(
        `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
      );
    }
    cancel(this.paymentIntent(session.payment_intent), 'abandoned');
    return Object.assign(session, { status: 'expired', url: null } as const);
  }

  refund(id: string): FakeRefund {
    return found(this.refunds.get(id), 'refund', id, 'refund');
  }

  createRefund(params: Params): FakeRefund {
    const intentId = params.string('payment_intent');
    const chargeId = params.string('charge');
    if (!intentId && !chargeId) {
      throw invalidRequest('One of the following params should be provided for this request: payment_intent or charge.', {
        code: 'parameter_missing',
      });
    }
    const charge = intentId ? this.chargeToRefund(intentId) : this.charges.get(chargeId!);
    if (!charge) throw invalidRequest(`No such charge: '${chargeId}'`, { code: 'resource_missing', param: 'charge' });
    if (chargeId && charge.id !== chargeId) {
      throw invalidRequest(`Charge ${chargeId} does not belong to PaymentIntent ${intentId}.`, { param: 'charge' });
    }
    const unrefunded = charge.amount_captured - charge.amount_refunded;
    if (unrefunded === 0) throw invalidRequest(`Charge ${charge.id} has already been refunded.`, { code: 'charge_already_refunded' });
    const amount = params.int('amount', 1) ?? unrefunded;
    if (amount > unrefunded) {
      throw invalidRequest(`Refund amount (${amount}) is greater than unrefunded amount on charge (${unrefunded})`, {
        code: 'amount_too_large',
        param: 'amount',
      });
    }
    const refund: FakeRefund = {
      id: stripeId('re'),
      object: 'refund',
      amount,
      charge: charge.id,
      created: unixNow(),
      currency: charge.currency,
      metadata: params.metadata(),
      payment_intent: charge.payment_intent,
      reason: params.oneOf('reason', ['duplicate', 'fraudulent', 'requested_by_customer']) ?? null,
      status: 'succeeded',
    };
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded === charge.amount_captured;
    this.refunds.set(refund.id, refund);
    return refund;
  }

  /** The customer paid: the PaymentIntent succeeds with a charge, and its Checkout Session completes. */
  succeed(intentId: string): FakePaymentIntent {
    const intent = this.settleable(intentId);
    const charge: FakeCharge = {
      id: stripeId('ch'),
      object: 'charge',
      amount: intent.amount,
      amount_captured: intent.amount,
      amount_refunded: 0,
      captured: true,
      created: unixNow(),
      currency: intent.currency,
      description: intent.description,
      livemode: false,
      metadata: { ...intent.metadata },
      paid: true,
      payment_intent: intent.id,
      receipt_email: intent.receipt_email,
      refunded: false,
      status: 'succeeded',
    };
    this.charges.set(charge.id, charge);
    Object.assign(intent, { status: 'succeeded', amount_received: intent.amount, latest_charge: charge.id } as const);
    intent.last_payment_error = null;
    for (const session of this.checkoutSessions.values()) {
      if (session.payment_intent !== intent.id) continue;
      Object.assign(session, { status: 'complete', payment_status: 'paid', url: null } as const);
    }
    return intent;
  }

  /** A payment attempt was declined: the customer may try again, as after a real decline. */
  fail(intentId: string, message: string): FakePaymentIntent {
    const intent = this.settleable(intentId);
    intent.status = 'requires_payment_method';
    intent.last_payment_error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message };
    return intent;
  }

  chargeFor(intentId: string): FakeCharge {
    const chargeId = this.paymentIntent(intentId).latest_charge;
    if (!chargeId) throw new Error(`PaymentIntent ${intentId} has no charge yet: succeed() it first`);
    return this.charges.get(chargeId)!;
  }

  /** Replaces ID fields named by `expand[]` paths (`payment_intent.latest_charge`) with the objects, on a copy. */
  expand<T extends StripeObject>(object: T, paths: readonly string[]): T {
    const copy = structuredClone(object) as unknown as Record<string, unknown>;
    paths.forEach((path, i) => this.expandPath(copy, path.split('.'), path, `expand[${i}]`));
    return copy as unknown as T;
  }

  private expandPath(target: Record<string, unknown>, [field, ...rest]: string[], path: string, param: string): void {
    let value = target[field!];
    if (typeof value === 'string') value = target[field!] = structuredClone(this.byId(value));
    if (value === null) return;
    if (typeof value !== 'object' || value === undefined) {
      throw invalidRequest(`This property cannot be expanded (${path}).`, { param });
    }
    if (rest.length > 0) this.expandPath(value as Record<string, unknown>, rest, path, param);
  }

  private byId(id: string): StripeObject | undefined {
    return this.paymentIntents.get(id) ?? this.checkoutSessions.get(id) ?? this.charges.get(id) ?? this.refunds.get(id);
  }

  private insertPaymentIntent(fields: PaymentIntentFields): FakePaymentIntent {
    const id = stripeId('pi');
    const intent: FakePaymentIntent = {
      id,
      object: 'payment_intent',
      amount_capturable: 0,
      amount_received: 0,
      canceled_at: null,
      cancellation_reason: null,
      client_secret: `${id}_secret_${randomAlphanumeric(25)}`,
      created: unixNow(),
      last_payment_error: null,
      latest_charge: null,
      livemode: false,
      payment_method_types: ['card'],
      status: 'requires_payment_method',
      ...fields,
    };
    this.paymentIntents.set(id, intent);
    return intent;
  }

  private chargeToRefund(intentId: string): FakeCharge {
    const intent = this.paymentIntents.get(intentId);
    if (!intent) throw invalidRequest(`No such payment_intent: '${intentId}'`, { code: 'resource_missing', param: 'payment_intent' });
    if (intent.status !== 'succeeded') {
      throw invalidRequest(`This PaymentIntent (${intentId}) does not have a successful charge to refund.`, {
        code: 'payment_intent_unexpected_state',
        param: 'payment_intent',
      });
    }
    return this.chargeFor(intentId);
  }

  /** Test controls act only on a PaymentIntent still awaiting payment; anything else is a test bug. */
  private settleable(intentId: string): FakePaymentIntent {
    const intent = this.paymentIntent(intentId);
    if (intent.status !== 'requires_payment_method') {
      throw new Error(`PaymentIntent ${intentId} is ${intent.status}; only one awaiting payment can succeed or fail`);
    }
    return intent;
  }
}

function cancel(intent: FakePaymentIntent, reason: string | null): FakePaymentIntent {
  return Object.assign(intent, { status: 'canceled', canceled_at: unixNow(), cancellation_reason: reason } as const);
}

/** Stripe's 404 for a resource in the URL. */
function found<T>(object: T | undefined, kind: string, id: string, param: string): T {
  if (object) return object;
  const message = `No such ${kind}: '${id}'`;
  throw new StripeFailure(404, { type: 'invalid_request_error', code: 'resource_missing', message, param });
}
