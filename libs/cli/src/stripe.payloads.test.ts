import { eventCatalog, stripeEventTypes } from '@orderflow/events';
import Stripe from 'stripe';
import type { OrderFacts } from './order-facts';
import { buildStripeEvent, STRIPE_API_VERSION, stripeTriggerTypes, type StripeTriggerType } from './stripe.payloads';
import { stripeSignature } from './stripe.signature';

const facts: OrderFacts = { orderId: 'ord_test-1', amountCents: 1500, currency: 'eur', email: 'ada@example.com', instanceId: 'shop-1', items: null };
const objectOf = (type: StripeTriggerType, extra: Partial<Parameters<typeof buildStripeEvent>[0]> = {}) =>
  buildStripeEvent({ ...facts, type, ...extra }).data.object as Record<string, unknown>;

describe('Stripe events for orderflow trigger', () => {
  it('covers exactly the Stripe events Orderflow handles, on the API version of the SDK it depends on', () => {
    expect([...stripeTriggerTypes].sort()).toEqual([...stripeEventTypes].sort());
    expect(STRIPE_API_VERSION).toBe(Stripe.API_VERSION);
  });

  it.each(stripeTriggerTypes)('builds a %s event the catalog schema accepts, with the right object', (type) => {
    const event = buildStripeEvent({ ...facts, type, now: new Date('2026-11-23T10:00:00Z') });
    expect(eventCatalog[type].payload.safeParse(event).success).toBe(true);
    expect(event).toMatchObject({ object: 'event', type, created: 1795428000, livemode: false, api_version: STRIPE_API_VERSION });
    expect(event.id).toMatch(/^evt_[A-Za-z0-9]{24}$/);
    const expected = { checkout: 'checkout.session', payment_intent: 'payment_intent', charge: type === 'charge.dispute.created' ? 'dispute' : 'charge' }[type.split('.')[0]];
    expect(event.data.object.object).toBe(expected);
  });

  it('ties every event of one order to one PaymentIntent, which refunds and disputes point at', () => {
    const pi = objectOf('payment_intent.succeeded');
    expect(pi).toMatchObject({ amount: 1500, amount_received: 1500, currency: 'eur', status: 'succeeded', receipt_email: 'ada@example.com', metadata: { orderId: 'ord_test-1', instanceId: 'shop-1' } });
    expect(objectOf('checkout.session.completed')).toMatchObject({ payment_intent: pi.id, client_reference_id: 'ord_test-1', payment_status: 'paid', amount_total: 1500, customer_details: { email: 'ada@example.com' } });
    const charge = objectOf('charge.refunded');
    expect(charge).toMatchObject({ id: pi.latest_charge, payment_intent: pi.id, amount_refunded: 1500, refunded: true, metadata: { orderId: 'ord_test-1' } });
    expect(objectOf('charge.dispute.created')).toMatchObject({ charge: charge.id, payment_intent: pi.id, amount: 1500, metadata: {} });
    expect(objectOf('payment_intent.succeeded', { orderId: 'ord_other' }).id).not.toBe(pi.id);
    expect(objectOf('payment_intent.succeeded', { paymentIntentId: 'pi_given' }).id).toBe('pi_given');
  });

  it('fails, expires and refunds in part as Stripe reports it', () => {
    expect(objectOf('payment_intent.payment_failed')).toMatchObject({ status: 'requires_payment_method', amount_received: 0, last_payment_error: { code: 'card_declined', message: 'Your card was declined.' } });
    expect(objectOf('checkout.session.expired')).toMatchObject({ status: 'expired', payment_status: 'unpaid', payment_intent: null, metadata: { orderId: 'ord_test-1' } });
    expect(objectOf('charge.refunded', { refundedCents: 500 })).toMatchObject({ amount: 1500, amount_refunded: 500, refunded: false });
    expect(buildStripeEvent({ ...facts, type: 'charge.refunded' }).data.previous_attributes).toEqual({ amount_refunded: 0, refunded: false });
  });

  it('carries the order lines in metadata.items and leaves out an instance it was not given', () => {
    const items = [{ productId: 'concert', quantity: 2, unitAmountCents: 750, kind: 'ticket' as const, capacityKey: 'concert-2026' }];
    const metadata = objectOf('payment_intent.succeeded', { items, instanceId: null }).metadata as Record<string, string>;
    expect(metadata).toEqual({ orderId: 'ord_test-1', items: JSON.stringify(items) });
  });

  it('signs so that the Stripe SDK verifies the exact body, and a changed body does not', async () => {
    const secret = 'whsec_test_secret';
    const event = buildStripeEvent({ ...facts, type: 'payment_intent.succeeded' });
    const body = JSON.stringify(event, null, 2);
    const header = await stripeSignature(body, secret, event.created);
    expect(header).toMatch(new RegExp(`^t=${event.created},v1=[0-9a-f]{64}$`));
    const verified = Stripe.webhooks.constructEvent(body, header, secret, Number.MAX_SAFE_INTEGER);
    expect(verified.id).toBe(event.id);
    expect(() => Stripe.webhooks.constructEvent(body.replace('1500', '1'), header, secret, Number.MAX_SAFE_INTEGER)).toThrow(Stripe.errors.StripeSignatureVerificationError);
    expect(() => Stripe.webhooks.constructEvent(body, header, 'whsec_other', Number.MAX_SAFE_INTEGER)).toThrow(Stripe.errors.StripeSignatureVerificationError);
  });
});
