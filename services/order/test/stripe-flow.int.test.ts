import { randomUUID } from 'node:crypto';
import { afterSameKeyMarker, committedPast, waitFor } from '@orderflow/testing';
import { ORDER_GROUP } from '../src/order.service';
import { scrapeMetrics } from '@orderflow/service-testing';
import { api, checkoutBody, fromStripe, METRICS_TOKEN, orderWhen, SHOP_A, ticket, useOrderStack } from './support';

describe('the Stripe path (seed 001)', () => {
  const stack = useOrderStack('order_stripe');

  /** Starts a checkout of `items` and returns its order and PaymentIntent IDs. */
  async function checkout(items: Array<Record<string, unknown>>) {
    const res = await api(stack.running.url, '/api/checkout', { key: SHOP_A.key, method: 'POST', body: checkoutBody(`cart-${randomUUID()}`, items) });
    expect(res.status).toBe(201);
    return res.body as { orderId: string; paymentIntentId: string; waitlistedLineIds: string[]; clientSecret: string };
  }

  /** The customer pays at Stripe and Stripe's webhook reaches the order service. */
  async function pay(paymentIntentId: string, orderId: string) {
    stack.stripe.succeed(paymentIntentId);
    const event = stack.stripe.event('payment_intent.succeeded', stack.stripe.paymentIntent(paymentIntentId));
    await stack.publish(fromStripe(event, orderId));
    return event;
  }

  it('takes a checkout from PENDING to PAID and APPROVED, activating its registrations, each change published once', async () => {
    const started = await checkout([ticket('concert-1', 2)]);
    expect(started.clientSecret).toMatch(/_secret_/);
    expect(stack.stripe.paymentIntent(started.paymentIntentId).metadata.orderId).toBe(started.orderId);
    expect((await orderWhen(stack.running.url, started.orderId, (o) => o.status === 'PENDING')).registrations[0].status).toBe('PENDING');

    await pay(started.paymentIntentId, started.orderId);

    const order = await orderWhen(stack.running.url, started.orderId, (o) => o.status === 'APPROVED');
    expect(order.registrations.map((r: { status: string }) => r.status)).toEqual(['ACTIVE']);
    expect(order.payments).toEqual([expect.objectContaining({ provider: 'stripe', status: 'SUCCEEDED', amountCents: 5_000 })]);
    expect(order.history.map((h: { toStatus: string }) => h.toStatus)).toEqual(['PENDING', 'PAID', 'APPROVED']);
    await waitFor(() => stack.orders.typesOf(started.orderId).includes('order.ready_to_fulfill'));
    expect(stack.orders.typesOf(started.orderId).sort()).toEqual(
      ['checkout.completed', 'checkout.started', 'order.approved', 'order.created', 'order.paid', 'order.pending', 'order.ready_to_fulfill'].sort(),
    );
    const paid = stack.orders.of(started.orderId).find((e) => e.type === 'order.paid')!;
    expect(paid.payload).toMatchObject({ orderId: started.orderId, status: 'PAID', previousStatus: 'PENDING', totalCents: 5_000, instanceId: SHOP_A.instanceId });
  });

  it('has one effect however often a payment event is delivered or replayed', async () => {
    const started = await checkout([{ productId: 'ebook', name: 'E-book', quantity: 1, unitAmountCents: 900, kind: 'license', capacityKey: null }]);
    const event = await pay(started.paymentIntentId, started.orderId);
    await stack.publish(fromStripe(event, started.orderId));
    await stack.publish(fromStripe(event, started.orderId));
    // One more copy as the marker: once it is handled, so are the copies before it on its key.
    await afterSameKeyMarker({
      after: stack.lastSent(started.orderId),
      send: async () => {
        await stack.publish(fromStripe(event, started.orderId));
        return stack.lastSent(started.orderId);
      },
      handled: committedPast(stack.broker.brokers, ORDER_GROUP),
    });

    const order = await orderWhen(stack.running.url, started.orderId, (o) => o.status === 'APPROVED');
    expect(order.payments).toHaveLength(1);
    expect(stack.orders.typesOf(started.orderId).filter((t) => t === 'order.paid')).toHaveLength(1);
  });

  it('refunds in full: registrations cancelled, the place released and the first waitlisted paid registration promoted', async () => {
    const capacityKey = `workshop-${randomUUID()}`;
    expect((await api(stack.running.url, `/admin/capacities/${capacityKey}`, { admin: true, method: 'PUT', body: { capacity: 1 } })).status).toBe(200);
    const first = await checkout([ticket(capacityKey)]);
    const second = await checkout([ticket(capacityKey)]);
    expect(first.waitlistedLineIds).toEqual([]);
    expect(second.waitlistedLineIds).toHaveLength(1);
    await pay(first.paymentIntentId, first.orderId);
    await pay(second.paymentIntentId, second.orderId);
    const waiting = await orderWhen(stack.running.url, second.orderId, (o) => o.status === 'APPROVED');
    expect(waiting.registrations[0].status).toBe('WAITLISTED');

    const refund = await api(stack.running.url, `/admin/orders/${first.orderId}/refund`, { admin: true, method: 'POST', body: { reason: 'cannot come' } });
    expect(refund.status).toBe(202);
    expect(stack.stripe.refund(refund.body.refundId).amount).toBe(2_500);
    // The order changes only when Stripe confirms, with its charge.refunded webhook.
    await stack.publish(fromStripe(stack.stripe.event('charge.refunded', stack.stripe.chargeFor(first.paymentIntentId)), first.orderId));

    const refunded = await orderWhen(stack.running.url, first.orderId, (o) => o.status === 'REFUNDED');
    expect(refunded.registrations[0].status).toBe('CANCELLED');
    expect(refunded.refundedCents).toBe(2_500);
    const promoted = await orderWhen(stack.running.url, second.orderId, (o) => o.registrations[0].status === 'ACTIVE');
    expect(promoted.status).toBe('APPROVED');
    const announcement = await waitFor(() => stack.orders.of(second.orderId).find((e) => e.type === 'registration.promoted'));
    expect(announcement.payload).toMatchObject({ capacityKey, freedBy: first.orderId });
    expect(stack.orders.typesOf(first.orderId)).toContain('order.refunded');
  });

  it('records a partial refund as PARTIALLY_REFUNDED and keeps the registrations', async () => {
    const started = await checkout([ticket(`gala-${randomUUID()}`, 2)]);
    await pay(started.paymentIntentId, started.orderId);
    await orderWhen(stack.running.url, started.orderId, (o) => o.status === 'APPROVED');
    expect((await api(stack.running.url, `/admin/orders/${started.orderId}/refund`, { admin: true, method: 'POST', body: { amountCents: 1_000 } })).status).toBe(202);
    await stack.publish(fromStripe(stack.stripe.event('charge.refunded', stack.stripe.chargeFor(started.paymentIntentId)), started.orderId));

    const order = await orderWhen(stack.running.url, started.orderId, (o) => o.status === 'PARTIALLY_REFUNDED');
    expect(order.refundedCents).toBe(1_000);
    expect(order.registrations[0].status).toBe('ACTIVE');
  });

  it('refuses illegal transitions: a late payment_failed after PAID is recorded and counted, never applied', async () => {
    const started = await checkout([{ productId: 'ebook', name: null, quantity: 1, unitAmountCents: 700, kind: 'license', capacityKey: null }]);
    await pay(started.paymentIntentId, started.orderId);
    await orderWhen(stack.running.url, started.orderId, (o) => o.status === 'APPROVED');

    // A stale failure of an earlier attempt, delivered after the success.
    const stale = { ...stack.stripe.paymentIntent(started.paymentIntentId), status: 'requires_payment_method', last_payment_error: { message: 'Your card was declined.' } };
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.payment_failed', stale), started.orderId));

    const order = await orderWhen(stack.running.url, started.orderId, (o) => o.history.some((h: { applied: boolean }) => !h.applied));
    expect(order.status).toBe('APPROVED');
    expect(order.history.find((h: { applied: boolean }) => !h.applied)).toMatchObject({ fromStatus: 'APPROVED', toStatus: 'FAILED', cause: 'payment_intent.payment_failed' });
    const metrics = await scrapeMetrics(stack.running.url, METRICS_TOKEN);
    expect(metrics).toMatch(/order_illegal_transitions_total\{from="APPROVED",to="FAILED",cause="payment_intent.payment_failed"[^}]*\} 1/);
    expect(stack.orders.typesOf(started.orderId)).not.toContain('order.payment_failed');
  });

  it('fails an order whose payment failed, with the reason', async () => {
    const started = await checkout([{ productId: 'ebook', name: null, quantity: 1, unitAmountCents: 800, kind: 'license', capacityKey: null }]);
    stack.stripe.fail(started.paymentIntentId, 'Your card has insufficient funds.');
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.payment_failed', stack.stripe.paymentIntent(started.paymentIntentId)), started.orderId));

    const order = await orderWhen(stack.running.url, started.orderId, (o) => o.status === 'FAILED');
    expect(order.reason).toBe('Your card has insufficient funds.');
    const failed = await waitFor(() => stack.orders.of(started.orderId).find((e) => e.type === 'order.payment_failed'));
    expect(failed.payload).toMatchObject({ reason: 'Your card has insufficient funds.' });
  });

  it('creates an order Orderflow did not start from the PaymentIntent metadata, and keeps a payment nothing identifies', async () => {
    const orderId = `shop-order-${randomUUID()}`;
    const pi = {
      id: `pi_${randomUUID().replace(/-/g, '')}`,
      object: 'payment_intent',
      amount: 4_200,
      amount_received: 4_200,
      currency: 'eur',
      status: 'succeeded',
      receipt_email: 'grace@example.com',
      metadata: { orderId, instanceId: SHOP_A.instanceId, items: JSON.stringify([{ productId: 'course', quantity: 1, unitAmountCents: 4_200, kind: 'license' }]) },
    };
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.succeeded', pi), orderId));
    const created = await orderWhen(stack.running.url, orderId, (o) => o.status === 'APPROVED');
    expect(created).toMatchObject({ source: 'stripe', totalCents: 4_200, customer: { email: 'grace@example.com', name: null } });
    expect(created.lines).toEqual([expect.objectContaining({ productId: 'course', kind: 'license' })]);
    expect(created.payments).toEqual([expect.objectContaining({ provider: 'stripe', providerPaymentRef: pi.id, status: 'SUCCEEDED', amountCents: 4_200, currency: 'eur' })]);
    // Created, paid and approved in one statement, still recorded and announced as three steps.
    expect(created.history.map((h: { fromStatus: string | null; toStatus: string }) => [h.fromStatus, h.toStatus])).toEqual([
      [null, 'PENDING'],
      ['PENDING', 'PAID'],
      ['PAID', 'APPROVED'],
    ]);
    await waitFor(() => stack.orders.typesOf(orderId).includes('order.ready_to_fulfill'));
    expect(stack.orders.of(orderId).map(({ eventId, payload }) => [eventId, ...['status', 'previousStatus'].map((field) => (payload as Record<string, unknown>)[field])])).toEqual([
      [`order.created:${orderId}:0`, 'PENDING', null],
      [`order.pending:${orderId}:0`, 'PENDING', null],
      [`order.paid:${orderId}:1`, 'PAID', 'PENDING'],
      [`order.approved:${orderId}:2`, 'APPROVED', 'PAID'],
      [`order.ready_to_fulfill:${orderId}:2`, 'APPROVED', 'PAID'],
    ]);

    const stray = { ...pi, id: `pi_${randomUUID().replace(/-/g, '')}`, metadata: {} };
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.succeeded', stray), stray.id));
    const unmatched = await waitFor(async () => {
      const res = await api(stack.running.url, '/admin/payments/unmatched', { admin: true });
      return res.body.items.find((p: { providerPaymentRef: string }) => p.providerPaymentRef === stray.id);
    });
    expect(unmatched).toMatchObject({ orderId: null, status: 'UNMATCHED', amountCents: 4_200 });
    // Announced, so on-call hears of it (the notification service alerts on Slack).
    const announced = await waitFor(() => stack.orders.of(stray.id).find((e) => e.type === 'payment.unmatched'));
    expect(announced.payload).toMatchObject({ provider: 'stripe', providerPaymentRef: stray.id, amountCents: 4_200, causeType: 'payment_intent.succeeded' });
  });

  it('takes an order whose receipt address could never be one (too long, no @) without the address, never a stuck payment', async () => {
    for (const receipt of [`${'a'.repeat(300)}@example.com`, 'not an address']) {
      const orderId = `shop-order-${randomUUID()}`;
      const pi = {
        id: `pi_${randomUUID().replace(/-/g, '')}`,
        object: 'payment_intent',
        amount: 900,
        amount_received: 900,
        currency: 'eur',
        status: 'succeeded',
        receipt_email: receipt,
        metadata: { orderId, instanceId: SHOP_A.instanceId, items: JSON.stringify([{ productId: 'course', quantity: 1, unitAmountCents: 900, kind: 'license' }]) },
      };
      await stack.publish(fromStripe(stack.stripe.event('payment_intent.succeeded', pi), orderId));
      const order = await orderWhen(stack.running.url, orderId, (o) => o.status === 'APPROVED');
      expect(order.customer).toEqual({ email: null, name: null });
    }
  });

  it('applies out-of-order events for one order once: the session completes after its payment already did', async () => {
    const cartId = `cart-${randomUUID()}`;
    const res = await api(stack.running.url, '/api/checkout', {
      key: SHOP_A.key,
      method: 'POST',
      body: checkoutBody(cartId, [ticket(`talk-${randomUUID()}`)], { mode: 'checkout_session', successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/cancel' }),
    });
    expect(res.status).toBe(201);
    expect(res.body.checkoutUrl).toMatch(/^http/);
    const { orderId, paymentIntentId, checkoutSessionId } = res.body as { orderId: string; paymentIntentId: string; checkoutSessionId: string };
    await pay(paymentIntentId, orderId);
    await stack.publish(fromStripe(stack.stripe.event('checkout.session.completed', stack.stripe.checkoutSession(checkoutSessionId)), orderId));
    const marker = await checkout([{ productId: 'marker', name: null, quantity: 1, unitAmountCents: 100, kind: 'external', capacityKey: null }]);
    await pay(marker.paymentIntentId, marker.orderId);
    await orderWhen(stack.running.url, marker.orderId, (o) => o.status === 'APPROVED');

    const order = await orderWhen(stack.running.url, orderId, (o) => o.status === 'APPROVED');
    expect(order.history.map((h: { toStatus: string; applied: boolean }) => [h.toStatus, h.applied])).toEqual([
      ['PENDING', true],
      ['PAID', true],
      ['APPROVED', true],
    ]);
    expect(order.payments).toEqual([expect.objectContaining({ providerPaymentRef: paymentIntentId, status: 'SUCCEEDED' })]);
    expect(order.references.checkoutSessionId).toBe(checkoutSessionId);
    expect(stack.orders.typesOf(orderId).filter((t) => t === 'order.paid')).toHaveLength(1);
  });

  it('counts a Checkout payment once when Stripe reports the session first and then its PaymentIntent', async () => {
    const res = await api(stack.running.url, '/api/checkout', {
      key: SHOP_A.key,
      method: 'POST',
      body: checkoutBody(`cart-${randomUUID()}`, [ticket(`talk-${randomUUID()}`)], { mode: 'checkout_session', successUrl: 'https://shop.example/ok', cancelUrl: 'https://shop.example/cancel' }),
    });
    expect(res.status).toBe(201);
    const { orderId, paymentIntentId, checkoutSessionId } = res.body as { orderId: string; paymentIntentId: string; checkoutSessionId: string };
    stack.stripe.succeed(paymentIntentId);
    await stack.publish(fromStripe(stack.stripe.event('checkout.session.completed', stack.stripe.checkoutSession(checkoutSessionId)), orderId));
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.succeeded', stack.stripe.paymentIntent(paymentIntentId)), orderId));
    const marker = await checkout([{ productId: 'marker', name: null, quantity: 1, unitAmountCents: 100, kind: 'external', capacityKey: null }]);
    await pay(marker.paymentIntentId, marker.orderId);
    await orderWhen(stack.running.url, marker.orderId, (o) => o.status === 'APPROVED');

    const order = await orderWhen(stack.running.url, orderId, (o) => o.status === 'APPROVED');
    // One payment, and the second report is no refused APPROVED → PAID in the history.
    expect(order.payments).toEqual([expect.objectContaining({ providerPaymentRef: paymentIntentId, status: 'SUCCEEDED', amountCents: 2_500 })]);
    expect(order.history.map((h: { toStatus: string; applied: boolean; cause: string }) => [h.toStatus, h.applied, h.cause])).toEqual([
      ['PENDING', true, 'checkout'],
      ['PAID', true, 'checkout.session.completed'],
      ['APPROVED', true, 'checkout.session.completed'],
    ]);
    expect(stack.orders.typesOf(orderId).filter((t) => t === 'order.paid')).toHaveLength(1);
  });

  it('marks a disputed order DISPUTED', async () => {
    const started = await checkout([{ productId: 'ebook', name: null, quantity: 1, unitAmountCents: 1_100, kind: 'license', capacityKey: null }]);
    await pay(started.paymentIntentId, started.orderId);
    await orderWhen(stack.running.url, started.orderId, (o) => o.status === 'APPROVED');
    const charge = stack.stripe.chargeFor(started.paymentIntentId);
    const dispute = { id: `dp_${randomUUID().slice(0, 8)}`, object: 'dispute', amount: 1_100, currency: 'eur', charge: charge.id, payment_intent: started.paymentIntentId, reason: 'fraudulent', metadata: {} };
    await stack.publish(fromStripe(stack.stripe.event('charge.dispute.created', dispute), started.orderId));
    const order = await orderWhen(stack.running.url, started.orderId, (o) => o.status === 'DISPUTED');
    expect(order.reason).toBe('fraudulent');
  });
});
