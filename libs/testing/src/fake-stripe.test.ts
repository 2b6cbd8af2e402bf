import Stripe from 'stripe';
import { startFakeStripe, type FakeStripe } from './fake-stripe';
import { waitFor } from './wait-for';

describe('fake Stripe, driven by the stripe SDK', () => {
  let fake: FakeStripe;
  let stripe: Stripe;

  beforeEach(async () => {
    fake = await startFakeStripe();
    stripe = new Stripe('sk_test_fake', { host: '127.0.0.1', port: fake.port, protocol: 'http', maxNetworkRetries: 0 });
  });

  afterEach(() => fake.close());

  /** What `promise` rejects with; fails the test if it resolves. */
  const rejection = (promise: Promise<unknown>) =>
    promise.then(
      (value) => {
        throw new Error(`expected a Stripe error, got ${JSON.stringify(value)}`);
      },
      (err: unknown) => err,
    );

  const createIntent = (options?: Stripe.RequestOptions) =>
    stripe.paymentIntents.create({ amount: 2500, currency: 'EUR', metadata: { orderId: 'order-1' } }, options);

  it('creates, retrieves and cancels a PaymentIntent, recording what the SDK sent', async () => {
    const created = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'eur',
      metadata: { orderId: 'order-1' },
      receipt_email: 'buyer@example.com',
      automatic_payment_methods: { enabled: true },
    });
    expect(created).toMatchObject({
      object: 'payment_intent',
      amount: 2500,
      amount_received: 0,
      currency: 'eur',
      status: 'requires_payment_method',
      metadata: { orderId: 'order-1' },
      receipt_email: 'buyer@example.com',
      livemode: false,
    });
    expect(created.id).toMatch(/^pi_/);
    expect(created.client_secret).toMatch(new RegExp(`^${created.id}_secret_`));

    expect((await stripe.paymentIntents.retrieve(created.id)).status).toBe('requires_payment_method');
    const canceled = await stripe.paymentIntents.cancel(created.id, { cancellation_reason: 'abandoned' });
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(fake.paymentIntent(created.id).status).toBe('canceled');

    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'POST /v1/payment_intents 200',
      `GET /v1/payment_intents/${created.id} 200`,
      `POST /v1/payment_intents/${created.id}/cancel 200`,
    ]);
    // Leaves arrive as strings, the way Stripe receives them.
    expect(fake.requests[0]!.body).toEqual({
      amount: '2500',
      currency: 'eur',
      metadata: { orderId: 'order-1' },
      receipt_email: 'buyer@example.com',
      automatic_payment_methods: { enabled: 'true' },
    });
    expect(fake.requests[0]!.idempotencyKey).toMatch(/^stripe-node-retry-/);
  });

  it('refuses bad parameters and cancelling a succeeded PaymentIntent as Stripe does', async () => {
    const missing = await rejection(stripe.paymentIntents.create({ currency: 'eur' } as Stripe.PaymentIntentCreateParams));
    expect(missing).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(missing).toMatchObject({ statusCode: 400, code: 'parameter_missing', param: 'amount' });

    const intent = await createIntent();
    fake.succeed(intent.id);
    const cancel = await rejection(stripe.paymentIntents.cancel(intent.id));
    expect(cancel).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(cancel).toMatchObject({ statusCode: 400, code: 'payment_intent_unexpected_state' });

    const unknown = await rejection(stripe.paymentIntents.retrieve('pi_missing'));
    expect(unknown).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(unknown).toMatchObject({ statusCode: 404, code: 'resource_missing' });
  });

  it('creates a Checkout Session with its PaymentIntent, and completes it when the customer pays', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [
        { price_data: { currency: 'eur', unit_amount: 1250, product_data: { name: 'Mug' } }, quantity: 2 },
        { price_data: { currency: 'eur', unit_amount: 500, product_data: { name: 'Shipping' } }, quantity: 1 },
      ],
      success_url: 'https://shop.example/ok',
      cancel_url: 'https://shop.example/cancel',
      client_reference_id: 'order-7',
      customer_email: 'buyer@example.com',
      metadata: { orderId: 'order-7' },
      payment_intent_data: { metadata: { orderId: 'order-7' } },
    });
    expect(session).toMatchObject({
      object: 'checkout.session',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 3000,
      currency: 'eur',
      client_reference_id: 'order-7',
      url: `${fake.url}/pay/${session.id}`,
    });
    expect(fake.requests[0]!.body.line_items).toEqual([
      { price_data: { currency: 'eur', unit_amount: '1250', product_data: { name: 'Mug' } }, quantity: '2' },
      { price_data: { currency: 'eur', unit_amount: '500', product_data: { name: 'Shipping' } }, quantity: '1' },
    ]);
    const intentId = session.payment_intent as string;
    expect(fake.paymentIntent(intentId)).toMatchObject({ amount: 3000, metadata: { orderId: 'order-7' } });

    fake.succeed(intentId);
    const paid = await stripe.checkout.sessions.retrieve(session.id, { expand: ['payment_intent'] });
    expect(paid).toMatchObject({ status: 'complete', payment_status: 'paid', url: null });
    expect(paid.payment_intent).toMatchObject({ id: intentId, status: 'succeeded', amount_received: 3000 });
    expect(fake.event('checkout.session.completed', fake.checkoutSession(session.id))).toMatchObject({
      object: 'event',
      type: 'checkout.session.completed',
      livemode: false,
      data: { object: { id: session.id, status: 'complete' } },
    });
  });

  it('expires an open Checkout Session and cancels its PaymentIntent', async () => {
    const session = await stripe.checkout.sessions.create({
      mode: 'payment',
      line_items: [{ price_data: { currency: 'eur', unit_amount: 900, product_data: { name: 'Tea' } }, quantity: 1 }],
    });
    const expired = await stripe.checkout.sessions.expire(session.id);
    expect(expired).toMatchObject({ status: 'expired', url: null });
    expect(fake.paymentIntent(session.payment_intent as string).status).toBe('canceled');
  });

  it('refunds the rest of a payment by default and builds the charge.refunded event', async () => {
    const intent = await createIntent();
    fake.succeed(intent.id);
    const refund = await stripe.refunds.create({ payment_intent: intent.id, reason: 'requested_by_customer' });
    expect(refund).toMatchObject({ object: 'refund', amount: 2500, status: 'succeeded', payment_intent: intent.id });

    const charge = fake.chargeFor(intent.id);
    expect(charge).toMatchObject({
      id: refund.charge,
      amount: 2500,
      amount_refunded: 2500,
      refunded: true,
      metadata: { orderId: 'order-1' },
    });
    expect(fake.event('charge.refunded', charge).data.object).toEqual(charge);
  });

  it('refunds in parts and refuses more than was captured, or a payment not made', async () => {
    const intent = await createIntent();
    fake.succeed(intent.id);
    await stripe.refunds.create({ payment_intent: intent.id, amount: 1000 });
    const over = await rejection(stripe.refunds.create({ payment_intent: intent.id, amount: 1501 }));
    expect(over).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(over).toMatchObject({ statusCode: 400, code: 'amount_too_large', param: 'amount' });
    await stripe.refunds.create({ payment_intent: intent.id, amount: 1500 });
    expect(fake.chargeFor(intent.id)).toMatchObject({ amount_refunded: 2500, refunded: true });
    expect(fake.refunds.map((r) => r.amount)).toEqual([1000, 1500]);

    const unpaid = await createIntent();
    const early = await rejection(stripe.refunds.create({ payment_intent: unpaid.id }));
    expect(early).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(early).toMatchObject({ statusCode: 400, param: 'payment_intent' });
  });

  it('replays the first answer for a repeated idempotency key instead of creating again', async () => {
    const first = await createIntent({ idempotencyKey: 'order-1-payment' });
    const second = await createIntent({ idempotencyKey: 'order-1-payment' });
    expect(second.id).toBe(first.id);
    expect(fake.paymentIntents).toHaveLength(1);
    expect(fake.requests.map((r) => [r.idempotencyKey, r.replayed ?? false])).toEqual([
      ['order-1-payment', false],
      ['order-1-payment', true],
    ]);

    const otherParams = { amount: 999, currency: 'eur' };
    const reused = await rejection(stripe.paymentIntents.create(otherParams, { idempotencyKey: 'order-1-payment' }));
    expect(reused).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('performs a request whose client timed out, so the retry with its key gets the same object', async () => {
    fake.delayNext({ method: 'POST', path: '/v1/payment_intents' }, 300);
    const timedOut = await rejection(createIntent({ idempotencyKey: 'slow', timeout: 50 }));
    expect(timedOut).toBeInstanceOf(Stripe.errors.StripeConnectionError);

    await waitFor(() => fake.requests[0]!.status === 200, { description: 'the delayed request to be performed' });
    const retried = await createIntent({ idempotencyKey: 'slow' });
    expect(fake.paymentIntents.map((pi) => pi.id)).toEqual([retried.id]);
  });

  it('answers an injected 500 without creating anything, and lets the retry with the same key succeed', async () => {
    fake.failNext({ method: 'POST', path: /^\/v1\/payment_intents$/ }, { status: 500, type: 'api_error', message: 'Stripe is down' });
    const failed = await rejection(createIntent({ idempotencyKey: 'order-1-try' }));
    expect(failed).toBeInstanceOf(Stripe.errors.StripeAPIError);
    expect(failed).toMatchObject({ statusCode: 500, message: 'Stripe is down' });
    expect(fake.paymentIntents).toHaveLength(0);

    const retried = await createIntent({ idempotencyKey: 'order-1-try' });
    expect(fake.paymentIntents.map((pi) => pi.id)).toEqual([retried.id]);
    expect(fake.requests.map((r) => r.status)).toEqual([500, 200]);
  });

  it('maps injected 402 and 429 to the card and rate-limit error classes', async () => {
    fake.failNext({ path: '/v1/payment_intents' }, { status: 402, type: 'card_error', code: 'card_declined' });
    fake.failNext({ path: '/v1/payment_intents' }, { status: 429, type: 'invalid_request_error', code: 'rate_limit' });
    const declined = await rejection(createIntent());
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({ statusCode: 402, code: 'card_declined' });
    expect(await rejection(createIntent())).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect((await createIntent()).status).toBe('requires_payment_method');
  });

  it('simulates a declined payment the customer can retry', async () => {
    const intent = await createIntent();
    expect(fake.fail(intent.id, 'Your card has insufficient funds.')).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { type: 'card_error', code: 'card_declined', message: 'Your card has insufficient funds.' },
    });
    expect(fake.succeed(intent.id)).toMatchObject({ status: 'succeeded', last_payment_error: null, amount_received: 2500 });
    const event = fake.event('payment_intent.succeeded', fake.paymentIntent(intent.id));
    expect(event).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
    });
    expect(event.data.object.latest_charge).toBe(fake.chargeFor(intent.id).id);
  });

  it('answers 401 to a request without a secret key', async () => {
    const body = new URLSearchParams({ amount: '100', currency: 'eur' });
    const res = await fetch(`${fake.url}/v1/payment_intents`, { method: 'POST', body });
    expect(res.status).toBe(401);
    const message = expect.stringMatching(/did not provide an API key/);
    expect(await res.json()).toEqual({ error: { type: 'invalid_request_error', message } });
    expect(fake.paymentIntents).toHaveLength(0);

    const publishable = new Stripe('pk_test_fake', { host: '127.0.0.1', port: fake.port, protocol: 'http', maxNetworkRetries: 0 });
    expect(await rejection(publishable.paymentIntents.retrieve('pi_x'))).toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('answers 404 with a Stripe error for an endpoint it does not implement', async () => {
    const error = await rejection(stripe.customers.create({ email: 'buyer@example.com' }));
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    const message = expect.stringMatching(/^Unrecognized request URL \(POST: \/v1\/customers\)/);
    expect(error).toMatchObject({ statusCode: 404, message });
  });
});
