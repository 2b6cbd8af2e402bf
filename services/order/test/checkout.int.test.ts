import { randomUUID } from 'node:crypto';
import { waitFor } from '@orderflow/testing';
import { api, checkoutBody, fromStripe, orderWhen, SHOP_A, SHOP_B, ticket, useOrderStack } from './support';

const license = { productId: 'ebook', name: 'E-book', quantity: 1, unitAmountCents: 1_500, kind: 'license', capacityKey: null };

describe('POST /api/checkout (seed 002)', () => {
  const stack = useOrderStack('order_checkout');
  const start = (cartId: string, items: Array<Record<string, unknown>> = [license], key = SHOP_A.key) =>
    api(stack.running.url, '/api/checkout', { key, method: 'POST', body: checkoutBody(cartId, items) });

  it('lets one of two racing checkouts of a cart through and answers the other 409', async () => {
    const cartId = `cart-${randomUUID()}`;
    const intentsBefore = stack.stripe.paymentIntents.length;
    const answers = await Promise.all([start(cartId), start(cartId)]);

    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const conflict = answers.find((a) => a.status === 409)!;
    expect(conflict.headers.get('content-type')).toContain('application/problem+json');
    // Only the winner reached Stripe.
    expect(stack.stripe.paymentIntents.length).toBe(intentsBefore + 1);
    // The same cart in another instance is another cart.
    expect((await start(cartId, [license], SHOP_B.key)).status).toBe(201);
  });

  it('records each phase on the lock and reports it on /api/checkout/status', async () => {
    const cartId = `cart-${randomUUID()}`;
    const started = await start(cartId);
    const status = await api(stack.running.url, `/api/checkout/status?cartId=${cartId}`, { key: SHOP_A.key });

    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ state: 'AWAITING_PAYMENT', phase: 'awaiting_payment', orderId: started.body.orderId, orderStatus: 'PENDING' });
    expect(status.body.phases.map((p: { phase: string }) => p.phase)).toEqual(['lock', 'reserve', 'awaiting_payment']);
    expect((await api(stack.running.url, `/api/checkout/status?cartId=${cartId}`, { key: SHOP_B.key })).status).toBe(404);
  });

  it('frees the cart once its checkout is paid, for the next checkout', async () => {
    const cartId = `cart-${randomUUID()}`;
    const first = await start(cartId);
    stack.stripe.succeed(first.body.paymentIntentId);
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.succeeded', stack.stripe.paymentIntent(first.body.paymentIntentId)), first.body.orderId));
    await waitFor(async () => (await api(stack.running.url, `/api/checkout/status?cartId=${cartId}`, { key: SHOP_A.key })).body.state === 'COMPLETED');

    expect((await start(cartId)).status).toBe(201);
  });

  it('rolls back when Stripe refuses: places released, order FAILED, checkout.failed, nothing left payable, cart free again', async () => {
    const capacityKey = `seminar-${randomUUID()}`;
    await api(stack.running.url, `/admin/capacities/${capacityKey}`, { admin: true, method: 'PUT', body: { capacity: 1 } });
    const cartId = `cart-${randomUUID()}`;
    stack.stripe.failNext({ method: 'POST', path: '/v1/payment_intents' }, { status: 500, type: 'api_error', message: 'Stripe is having a moment' }, 2);

    const failed = await start(cartId, [ticket(capacityKey)]);

    expect(failed.status).toBe(502);
    expect(failed.body.detail).toMatch(/nothing was charged/);
    const order = await orderWhen(stack.running.url, failed.body.orderId, (o) => o.status === 'FAILED');
    expect(order.registrations[0].status).toBe('CANCELLED');
    const announced = await waitFor(() => stack.orders.of(failed.body.orderId).find((e) => e.type === 'checkout.failed'));
    expect(announced.payload).toMatchObject({ phase: 'authorize', expired: false });
    // The place came back: a new checkout of the same cart gets it.
    const retried = await start(cartId, [ticket(capacityKey)]);
    expect(retried.status).toBe(201);
    expect(retried.body.waitlistedLineIds).toEqual([]);
  });

  it('validates the request and the API key', async () => {
    const cartId = `cart-${randomUUID()}`;
    const intentsBefore = stack.stripe.paymentIntents.length;
    expect((await api(stack.running.url, '/api/checkout', { method: 'POST', body: checkoutBody(cartId, [license]) })).status).toBe(401);
    expect((await api(stack.running.url, '/api/checkout', { key: 'not-a-key', method: 'POST', body: checkoutBody(cartId, [license]) })).status).toBe(401);
    for (const bad of [
      checkoutBody(cartId, []),
      checkoutBody(cartId, [{ ...license, quantity: 0 }]),
      checkoutBody(cartId, [{ ...ticket('x'), capacityKey: null }]),
      { ...checkoutBody(cartId, [license]), currency: 'euro' },
      { ...checkoutBody(cartId, [license]), mode: 'checkout_session' },
    ]) {
      const res = await api(stack.running.url, '/api/checkout', { key: SHOP_A.key, method: 'POST', body: bad });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    expect(stack.stripe.paymentIntents.length).toBe(intentsBefore);
  });

  it('reports expired locks, stuck checkouts and the database on /health/checkout', async () => {
    const res = await api(stack.running.url, '/health/checkout');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'healthy',
      checks: { expired_locks: { status: 'ok', count: 0 }, stuck_checkouts: { status: 'ok', count: 0 }, database: { status: 'ok' } },
    });
  });
});

describe('checkout lock expiry', () => {
  const stack = useOrderStack('order_checkout_expiry', () => ({ CHECKOUT_LOCK_TTL: '300ms', CHECKOUT_SWEEP_INTERVAL: '1h' }));

  it('fails an unpaid checkout whose lock expired: order FAILED, places back, PaymentIntent cancelled, checkout.failed (expired)', async () => {
    const capacityKey = `tour-${randomUUID()}`;
    await api(stack.running.url, `/admin/capacities/${capacityKey}`, { admin: true, method: 'PUT', body: { capacity: 1 } });
    const cartId = `cart-${randomUUID()}`;
    const started = await api(stack.running.url, '/api/checkout', { key: SHOP_A.key, method: 'POST', body: checkoutBody(cartId, [ticket(capacityKey)]) });
    expect(started.status).toBe(201);
    await waitFor(() => Date.now() > Date.parse(started.body.expiresAt));
    const health = await api(stack.running.url, '/health/checkout');
    expect(health.body.checks.expired_locks.count).toBe(1);

    expect(await stack.running.service.sweepExpiredCheckouts()).toBe(1);

    const order = await orderWhen(stack.running.url, started.body.orderId, (o) => o.status === 'FAILED');
    expect(order.reason).toBe('checkout expired');
    expect(order.registrations[0].status).toBe('CANCELLED');
    expect(stack.stripe.paymentIntent(started.body.paymentIntentId).status).toBe('canceled');
    const failed = await waitFor(() => stack.orders.of(started.body.orderId).find((e) => e.type === 'checkout.failed'));
    expect(failed.payload).toMatchObject({ expired: true, reason: 'checkout expired' });
    expect((await api(stack.running.url, `/api/checkout/status?cartId=${cartId}`, { key: SHOP_A.key })).body.state).toBe('EXPIRED');
    expect(await stack.running.service.sweepExpiredCheckouts()).toBe(0);
  });

  it('sweeps an expired lock when the same cart checks out again, instead of refusing it', async () => {
    const cartId = `cart-${randomUUID()}`;
    const first = await api(stack.running.url, '/api/checkout', { key: SHOP_A.key, method: 'POST', body: checkoutBody(cartId, [license]) });
    await waitFor(() => Date.now() > Date.parse(first.body.expiresAt));

    const second = await api(stack.running.url, '/api/checkout', { key: SHOP_A.key, method: 'POST', body: checkoutBody(cartId, [license]) });

    expect(second.status).toBe(201);
    expect((await orderWhen(stack.running.url, first.body.orderId, (o) => o.status === 'FAILED')).reason).toBe('checkout expired');
  });

  it('completes rather than fails a lock whose order was paid just before the sweep', async () => {
    const cartId = `cart-${randomUUID()}`;
    const started = await api(stack.running.url, '/api/checkout', { key: SHOP_A.key, method: 'POST', body: checkoutBody(cartId, [license]) });
    stack.stripe.succeed(started.body.paymentIntentId);
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.succeeded', stack.stripe.paymentIntent(started.body.paymentIntentId)), started.body.orderId));
    await orderWhen(stack.running.url, started.body.orderId, (o) => o.status === 'APPROVED');
    await waitFor(() => Date.now() > Date.parse(started.body.expiresAt));

    await stack.running.service.sweepExpiredCheckouts();

    expect((await api(stack.running.url, `/admin/orders/${started.body.orderId}`, { admin: true })).body.status).toBe('APPROVED');
    expect((await api(stack.running.url, `/api/checkout/status?cartId=${cartId}`, { key: SHOP_A.key })).body.state).toBe('COMPLETED');
  });
});
