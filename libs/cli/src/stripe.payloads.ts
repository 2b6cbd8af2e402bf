import { randomUUID } from 'node:crypto';
import { derivedStripeId, randomStripeId } from './ids';
import type { OrderFacts } from './order-facts';

/** The Stripe event types the ingress publishes and the order service handles. */
export const stripeTriggerTypes = [
  'checkout.session.completed',
  'checkout.session.expired',
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'charge.refunded',
  'charge.dispute.created',
] as const;
export type StripeTriggerType = (typeof stripeTriggerTypes)[number];

/** The API version of the `stripe` SDK this package depends on (a unit test keeps them equal). */
export const STRIPE_API_VERSION = '2026-10-28.endive';

export interface StripeEventInput extends OrderFacts {
  type: StripeTriggerType;
  eventId?: string;
  /** Default: derived from the order ID, so every event of one order shares it. */
  paymentIntentId?: string;
  /** charge.refunded: how much was refunded (default: all of it). */
  refundedCents?: number;
  now?: Date;
}

type StripeObject = Record<string, unknown> & { id: string; object: string };

/** A Stripe `Event` as Stripe's webhooks deliver it (API objects abridged to what matters). */
export interface StripeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  data: { object: StripeObject; previous_attributes?: Record<string, unknown> };
  livemode: false;
  pending_webhooks: number;
  request: { id: string | null; idempotency_key: string | null };
  type: StripeTriggerType;
}

interface Refs {
  paymentIntent: string;
  charge: string;
  session: string;
  paymentMethod: string;
  created: number;
  metadata: Record<string, string>;
}

export function stripeTriggerType(name: string): StripeTriggerType | null {
  return (stripeTriggerTypes as readonly string[]).includes(name) ? (name as StripeTriggerType) : null;
}

/**
 * A realistic Stripe event for an order, as if its customer paid through Orderflow's checkout:
 * the order ID in `metadata` (and the Session's `client_reference_id`), which is what the order
 * service finds the order by, and `metadata.items` when lines are given.
 */
export function buildStripeEvent(input: StripeEventInput): StripeEvent {
  const created = Math.floor((input.now ?? new Date()).getTime() / 1000);
  const paymentIntent = input.paymentIntentId ?? derivedStripeId('pi', input.orderId);
  const refs: Refs = {
    paymentIntent,
    charge: derivedStripeId('ch', paymentIntent),
    session: derivedStripeId('cs_test', input.orderId),
    paymentMethod: derivedStripeId('pm', paymentIntent),
    created,
    metadata: {
      orderId: input.orderId,
      ...(input.instanceId ? { instanceId: input.instanceId } : {}),
      ...(input.items ? { items: JSON.stringify(input.items) } : {}),
    },
  };
  // Events a customer's payment causes carry no API request; a refund is made through the API.
  const fromApi = input.type === 'charge.refunded';
  return {
    id: input.eventId ?? randomStripeId('evt'),
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created,
    data: {
      object: objectFor(input, refs),
      ...(input.type === 'charge.refunded' ? { previous_attributes: { amount_refunded: 0, refunded: false } } : {}),
    },
    livemode: false,
    pending_webhooks: 1,
    request: fromApi ? { id: randomStripeId('req'), idempotency_key: randomUUID() } : { id: null, idempotency_key: null },
    type: input.type,
  };
}

function objectFor(input: StripeEventInput, refs: Refs): StripeObject {
  switch (input.type) {
    case 'checkout.session.completed':
      return checkoutSession(input, refs, 'complete');
    case 'checkout.session.expired':
      return checkoutSession(input, refs, 'expired');
    case 'payment_intent.succeeded':
      return paymentIntent(input, refs, true);
    case 'payment_intent.payment_failed':
      return paymentIntent(input, refs, false);
    case 'charge.refunded':
      return charge(input, refs, Math.min(input.refundedCents ?? input.amountCents, input.amountCents));
    case 'charge.dispute.created':
      return dispute(input, refs);
  }
}

function card(succeeded: boolean, created: number) {
  // 4242… pays; 4000 0000 0000 0002 is Stripe's "generic decline" test card.
  return {
    brand: 'visa',
    checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: 'pass' },
    country: 'US',
    exp_month: 12,
    exp_year: new Date(created * 1000).getUTCFullYear() + 3,
    fingerprint: succeeded ? 'Xt5EWLLDS7FJjR1c' : 'mVgUGHGbC0FVtHzE',
    funding: 'credit',
    last4: succeeded ? '4242' : '0002',
    network: 'visa',
  };
}

const DECLINE = {
  code: 'card_declined',
  decline_code: 'generic_decline',
  doc_url: 'https://stripe.com/docs/error-codes/card-declined',
  message: 'Your card was declined.',
  type: 'card_error',
};

function paymentIntent(input: StripeEventInput, refs: Refs, succeeded: boolean): StripeObject {
  return {
    id: refs.paymentIntent,
    object: 'payment_intent',
    amount: input.amountCents,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: succeeded ? input.amountCents : 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic_async',
    client_secret: `${refs.paymentIntent}_secret_${refs.paymentMethod.slice(3, 19)}`,
    confirmation_method: 'automatic',
    created: refs.created,
    currency: input.currency,
    customer: null,
    description: null,
    last_payment_error: succeeded
      ? null
      : { ...DECLINE, charge: refs.charge, payment_method: { id: refs.paymentMethod, object: 'payment_method', card: card(false, refs.created), type: 'card' } },
    latest_charge: refs.charge,
    livemode: false,
    metadata: refs.metadata,
    next_action: null,
    on_behalf_of: null,
    payment_method: succeeded ? refs.paymentMethod : null,
    payment_method_options: { card: { installments: null, mandate_options: null, network: null, request_three_d_secure: 'automatic' } },
    payment_method_types: ['card'],
    processing: null,
    receipt_email: input.email,
    review: null,
    setup_future_usage: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: succeeded ? 'succeeded' : 'requires_payment_method',
    transfer_data: null,
    transfer_group: null,
  };
}

function charge(input: StripeEventInput, refs: Refs, refundedCents: number): StripeObject {
  return {
    id: refs.charge,
    object: 'charge',
    amount: input.amountCents,
    amount_captured: input.amountCents,
    amount_refunded: refundedCents,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: derivedStripeId('txn', refs.charge),
    billing_details: { address: { city: null, country: 'US', line1: null, line2: null, postal_code: '94103', state: null }, email: input.email, name: null, phone: null },
    calculated_statement_descriptor: 'ORDERFLOW',
    captured: true,
    created: refs.created,
    currency: input.currency,
    customer: null,
    description: null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: null,
    failure_message: null,
    fraud_details: {},
    livemode: false,
    // Stripe copies the PaymentIntent's metadata to the Charge it creates.
    metadata: refs.metadata,
    on_behalf_of: null,
    outcome: { network_status: 'approved_by_network', reason: null, risk_level: 'normal', risk_score: 32, seller_message: 'Payment complete.', type: 'authorized' },
    paid: true,
    payment_intent: refs.paymentIntent,
    payment_method: refs.paymentMethod,
    payment_method_details: { card: card(true, refs.created), type: 'card' },
    receipt_email: input.email,
    receipt_number: null,
    receipt_url: `https://pay.stripe.com/receipts/payment/${refs.charge.slice(3)}`,
    refunded: refundedCents >= input.amountCents,
    review: null,
    shipping: null,
    source: null,
    statement_descriptor: null,
    statement_descriptor_suffix: null,
    status: 'succeeded',
    transfer_data: null,
    transfer_group: null,
  };
}

function dispute(input: StripeEventInput, refs: Refs): StripeObject {
  return {
    id: derivedStripeId('dp', refs.charge),
    object: 'dispute',
    amount: input.amountCents,
    balance_transactions: [],
    charge: refs.charge,
    created: refs.created,
    currency: input.currency,
    evidence_details: { due_by: refs.created + 8 * 86_400, has_evidence: false, past_due: false, submission_count: 0 },
    is_charge_refundable: false,
    livemode: false,
    // Disputes do not inherit metadata: the order is found by the PaymentIntent.
    metadata: {},
    payment_intent: refs.paymentIntent,
    payment_method_details: { card: { brand: 'visa', case_type: 'chargeback', network_reason_code: '10.4' }, type: 'card' },
    reason: 'fraudulent',
    status: 'needs_response',
  };
}

function checkoutSession(input: StripeEventInput, refs: Refs, status: 'complete' | 'expired'): StripeObject {
  const complete = status === 'complete';
  return {
    id: refs.session,
    object: 'checkout.session',
    after_expiration: null,
    allow_promotion_codes: null,
    amount_subtotal: input.amountCents,
    amount_total: input.amountCents,
    automatic_tax: { enabled: false, liability: null, status: null },
    billing_address_collection: null,
    cancel_url: 'https://shop.example.com/cart',
    client_reference_id: input.orderId,
    consent: null,
    created: refs.created - 60,
    currency: input.currency,
    custom_fields: [],
    customer: null,
    customer_creation: 'if_required',
    customer_details: complete ? { address: { city: null, country: 'US', line1: null, line2: null, postal_code: '94103', state: null }, email: input.email, name: null, phone: null, tax_exempt: 'none', tax_ids: [] } : null,
    customer_email: null,
    expires_at: complete ? refs.created - 60 + 86_400 : refs.created,
    invoice: null,
    livemode: false,
    locale: null,
    metadata: refs.metadata,
    mode: 'payment',
    // A Session makes its PaymentIntent only when the customer pays.
    payment_intent: complete ? refs.paymentIntent : null,
    payment_link: null,
    payment_method_collection: 'if_required',
    payment_method_types: ['card'],
    payment_status: complete ? 'paid' : 'unpaid',
    recovered_from: null,
    setup_intent: null,
    shipping_address_collection: null,
    shipping_cost: null,
    status,
    submit_type: null,
    subscription: null,
    success_url: 'https://shop.example.com/thanks?session_id={CHECKOUT_SESSION_ID}',
    total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: 'hosted',
    url: null,
  };
}
