import { randomBytes, randomUUID } from 'node:crypto';
import Stripe from 'stripe';

export type LineKind = 'ticket' | 'license' | 'external';

/** One line of `metadata.items`, as the order service reads it for orders it did not start. */
export interface ItemLine {
  productId: string;
  name: string;
  quantity: number;
  unitAmountCents: number;
  kind: LineKind;
  capacityKey?: string | null;
}

/** A purchase the shop sent to Stripe: the IDs Stripe gave it and what our metadata said. */
export interface Purchase {
  orderId: string;
  instanceId: string;
  email: string;
  name: string;
  currency: string;
  amountCents: number;
  items: ItemLine[];
  paymentIntentId: string;
  chargeId: string;
  sessionId: string;
}

export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  type: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  data: { object: Record<string, unknown>; previous_attributes?: Record<string, unknown> };
}

const stripeId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
const now = () => Math.floor(Date.now() / 1000);

export function purchase(input: { instanceId: string; email: string; name: string; items: ItemLine[]; currency?: string }): Purchase {
  return {
    orderId: `ord_${randomUUID()}`,
    currency: input.currency ?? 'eur',
    amountCents: input.items.reduce((sum, item) => sum + item.quantity * item.unitAmountCents, 0),
    paymentIntentId: stripeId('pi'),
    chargeId: stripeId('ch'),
    sessionId: stripeId('cs_test'),
    ...input,
  };
}

/** What the shop's checkout put on the Session and on its PaymentIntent (`payment_intent_data.metadata`). */
function metadataOf(p: Purchase): Record<string, string> {
  return { orderId: p.orderId, instanceId: p.instanceId, customerName: p.name, items: JSON.stringify(p.items) };
}

function event(type: string, object: Record<string, unknown>, extra: Pick<Partial<StripeEvent>, 'request'> & { previous?: Record<string, unknown> } = {}): StripeEvent {
  return {
    id: stripeId('evt'),
    object: 'event',
    api_version: '2026-10-28.endive',
    created: now(),
    type,
    livemode: false,
    pending_webhooks: 1,
    request: extra.request ?? { id: null, idempotency_key: null },
    data: extra.previous ? { object, previous_attributes: extra.previous } : { object },
  };
}

/** The hosted Checkout page was paid: Stripe's first word about the purchase. */
export function checkoutSessionCompleted(p: Purchase): StripeEvent {
  return event('checkout.session.completed', {
    id: p.sessionId,
    object: 'checkout.session',
    mode: 'payment',
    status: 'complete',
    payment_status: 'paid',
    amount_subtotal: p.amountCents,
    amount_total: p.amountCents,
    currency: p.currency,
    client_reference_id: p.orderId,
    customer: null,
    customer_email: p.email,
    customer_details: { email: p.email, name: p.name, phone: null, address: null, tax_exempt: 'none', tax_ids: [] },
    payment_intent: p.paymentIntentId,
    payment_method_types: ['card'],
    metadata: metadataOf(p),
    created: now() - 60,
    expires_at: now() + 23 * 3600,
    livemode: false,
    success_url: 'https://shop.example/thanks',
    cancel_url: 'https://shop.example/cart',
    url: null,
  });
}

export function paymentIntentSucceeded(p: Purchase): StripeEvent {
  return event('payment_intent.succeeded', {
    id: p.paymentIntentId,
    object: 'payment_intent',
    amount: p.amountCents,
    amount_capturable: 0,
    amount_received: p.amountCents,
    capture_method: 'automatic_async',
    confirmation_method: 'automatic',
    created: now() - 60,
    currency: p.currency,
    customer: null,
    description: null,
    last_payment_error: null,
    latest_charge: p.chargeId,
    livemode: false,
    metadata: metadataOf(p),
    payment_method: stripeId('pm'),
    payment_method_types: ['card'],
    receipt_email: p.email,
    status: 'succeeded',
  });
}

/**
 * A full refund made through Stripe. The Charge carries no metadata (Stripe does not copy the
 * PaymentIntent's): the order is found through `payment_intent`.
 */
export function chargeRefunded(p: Purchase): StripeEvent {
  return event(
    'charge.refunded',
    {
      id: p.chargeId,
      object: 'charge',
      amount: p.amountCents,
      amount_captured: p.amountCents,
      amount_refunded: p.amountCents,
      captured: true,
      created: now() - 30,
      currency: p.currency,
      customer: null,
      disputed: false,
      livemode: false,
      metadata: {},
      paid: true,
      payment_intent: p.paymentIntentId,
      receipt_email: p.email,
      refunded: true,
      status: 'succeeded',
    },
    // A refund is made through the API, so the event names the request.
    { previous: { amount_refunded: 0, refunded: false }, request: { id: stripeId('req'), idempotency_key: randomUUID() } },
  );
}

/**
 * Delivers `event` as Stripe does: the JSON body with a fresh `Stripe-Signature` (each retry is
 * signed anew, with the same event ID). Resolves to the HTTP status; a connection that fails
 * rejects, as it would for Stripe.
 */
export async function deliver(ingressUrl: string, secret: string, stripeEvent: StripeEvent): Promise<number> {
  const body = JSON.stringify(stripeEvent);
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret });
  const res = await fetch(`${ingressUrl}/api/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': signature, 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}
