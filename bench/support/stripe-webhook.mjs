// A Stripe event around `object`, with a new event ID, signed as Stripe signs it: the request
// the benchmarks send to `POST /api/webhooks/stripe`.
import { randomUUID } from 'node:crypto';
import Stripe from 'stripe';

/**
 * @param {object} object the event's `data.object` (a PaymentIntent, a Checkout Session, …)
 * @param {string} secret the endpoint's signing secret (`whsec_…`)
 * @param {{ type?: string, idPrefix?: string }} [options]
 */
export function signedStripeWebhook(object, secret, { type = 'payment_intent.succeeded', idPrefix = 'evt_' } = {}) {
  const body = JSON.stringify({
    id: `${idPrefix}${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    type,
    api_version: '2025-01-27.acacia',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  });
  const signature = Stripe.webhooks.generateTestHeaderString({ payload: body, secret });
  return { method: 'POST', path: '/api/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': signature }, body };
}
