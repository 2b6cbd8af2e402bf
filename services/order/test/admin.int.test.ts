import { randomUUID } from 'node:crypto';
import { waitFor } from '@orderflow/testing';
import { api, checkoutBody, fromStripe, orderWhen, SHOP_A, SHOP_B, useOrderStack, wixEvent } from './support';

const item = (unitAmountCents: number) => ({ productId: 'course', name: 'Course', quantity: 1, unitAmountCents, kind: 'license', capacityKey: null });

describe('the admin API (seeds 001, 003)', () => {
  const stack = useOrderStack('order_admin');

  async function checkout(email: string, key = SHOP_A.key, amount = 3_000) {
    const res = await api(stack.running.url, '/api/checkout', { key, method: 'POST', body: { ...checkoutBody(`cart-${randomUUID()}`, [item(amount)]), customer: { email, name: null } } });
    expect(res.status).toBe(201);
    return res.body as { orderId: string; paymentIntentId: string };
  }

  it('refuses every admin route without the admin token', async () => {
    for (const path of ['/admin/orders', '/admin/payments/unmatched', '/admin/customers/a@example.com/orders']) {
      const res = await api(stack.running.url, path, { key: SHOP_A.key });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('lists orders filtered by status, instance and email, and a customer’s history across instances', async () => {
    const email = `lin-${randomUUID()}@example.com`;
    const a = await checkout(email);
    const b = await checkout(email.toUpperCase(), SHOP_B.key);
    await checkout(`other-${randomUUID()}@example.com`);

    const byEmail = await api(stack.running.url, `/admin/orders?email=${encodeURIComponent(email)}`, { admin: true });
    expect(byEmail.body.items.map((o: { orderId: string }) => o.orderId).sort()).toEqual([a.orderId, b.orderId].sort());
    const shopB = await api(stack.running.url, `/admin/orders?email=${encodeURIComponent(email)}&instanceId=${SHOP_B.instanceId}`, { admin: true });
    expect(shopB.body.items.map((o: { orderId: string }) => o.orderId)).toEqual([b.orderId]);
    expect((await api(stack.running.url, `/admin/orders?status=REFUNDED&email=${encodeURIComponent(email)}`, { admin: true })).body.items).toEqual([]);
    expect((await api(stack.running.url, '/admin/orders?status=LOST', { admin: true })).status).toBe(400);
    const history = await api(stack.running.url, `/admin/customers/${encodeURIComponent(email)}/orders`, { admin: true });
    expect(history.body.items).toHaveLength(2);
  });

  it('completes a pending order by hand, through the state machine, with the admin in its history', async () => {
    const { orderId } = await checkout(`manual-${randomUUID()}@example.com`);
    const done = await api(stack.running.url, `/admin/orders/${orderId}/complete`, { admin: true, method: 'POST' });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('APPROVED');
    const order = await orderWhen(stack.running.url, orderId, () => true);
    expect(order.history.map((h: { cause: string; toStatus: string }) => `${h.cause}:${h.toStatus}`)).toEqual(['checkout:PENDING', 'admin.complete:PAID', 'admin.complete:APPROVED']);
    expect(order.payments).toEqual([expect.objectContaining({ provider: 'manual', status: 'SUCCEEDED' })]);
    // Completing twice is refused, not applied twice.
    expect((await api(stack.running.url, `/admin/orders/${orderId}/complete`, { admin: true, method: 'POST' })).status).toBe(409);
    await waitFor(() => stack.orders.typesOf(orderId).includes('order.ready_to_fulfill'));
  });

  it('flags a failed fulfillment and publishes ready_to_fulfill again on retry; a later success fulfills the order', async () => {
    const { orderId } = await checkout(`retry-${randomUUID()}@example.com`);
    await api(stack.running.url, `/admin/orders/${orderId}/complete`, { admin: true, method: 'POST' });
    await stack.publish({ source: 'fulfillment', type: 'fulfillment.failed', eventId: `ff-${randomUUID()}`, orderKey: orderId, payload: { orderId, reason: 'license pool empty' } });
    await orderWhen(stack.running.url, orderId, (o) => o.fulfillmentFailure === 'license pool empty');

    const retried = await api(stack.running.url, `/admin/orders/${orderId}/retry-fulfillment`, { admin: true, method: 'POST' });
    expect(retried.status).toBe(202);
    await waitFor(() => stack.orders.typesOf(orderId).filter((t) => t === 'order.ready_to_fulfill').length === 2);
    const ids = stack.orders.of(orderId).filter((e) => e.type === 'order.ready_to_fulfill').map((e) => e.eventId);
    expect(new Set(ids).size).toBe(2);

    await stack.publish({ source: 'fulfillment', type: 'fulfillment.completed', eventId: `fc-${randomUUID()}`, orderKey: orderId, payload: { orderId, items: [] } });
    const fulfilled = await orderWhen(stack.running.url, orderId, (o) => o.status === 'FULFILLED');
    expect(fulfilled.fulfillmentFailure).toBeNull();
    expect((await api(stack.running.url, `/admin/orders/${orderId}/retry-fulfillment`, { admin: true, method: 'POST' })).status).toBe(409);
  });

  it('refuses a refund of more than is left and of an unpaid order, and reports a Stripe refusal as 502', async () => {
    const { orderId, paymentIntentId } = await checkout(`refund-${randomUUID()}@example.com`, SHOP_A.key, 2_000);
    expect((await api(stack.running.url, `/admin/orders/${orderId}/refund`, { admin: true, method: 'POST', body: {} })).status).toBe(409);
    stack.stripe.succeed(paymentIntentId);
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.succeeded', stack.stripe.paymentIntent(paymentIntentId)), orderId));
    await orderWhen(stack.running.url, orderId, (o) => o.status === 'APPROVED');

    expect((await api(stack.running.url, `/admin/orders/${orderId}/refund`, { admin: true, method: 'POST', body: { amountCents: 2_001 } })).status).toBe(400);
    stack.stripe.failNext({ method: 'POST', path: '/v1/refunds' }, { status: 400, type: 'invalid_request_error', code: 'charge_already_refunded', message: 'already refunded' });
    expect((await api(stack.running.url, `/admin/orders/${orderId}/refund`, { admin: true, method: 'POST', body: {} })).status).toBe(502);
    expect(stack.stripe.refunds.filter((r) => r.payment_intent === paymentIntentId)).toHaveLength(0);
  });

  it('finds an order from one search box: its ID, Wix number, email, payment or external reference, within a status', async () => {
    const email = `search-${randomUUID()}@example.com`;
    const { orderId, paymentIntentId } = await checkout(email);
    const reference = `INV-${randomUUID()}`;
    const number = String(Math.floor(Math.random() * 1e9));
    const wix = { id: randomUUID(), number, currency: 'EUR', externalReference: reference, buyerInfo: { email: `wix-${email}` }, priceSummary: { total: { amount: '12.00' } }, lineItems: [] };
    await stack.publish(wixEvent('created', SHOP_A.instanceId, wix));
    await orderWhen(stack.running.url, wix.id, () => true);
    const search = async (q: string, extra = '') => (await api(stack.running.url, `/admin/orders?q=${encodeURIComponent(q)}${extra}`, { admin: true })).body.items.map((o: { orderId: string }) => o.orderId);

    for (const q of [orderId, email.toUpperCase(), paymentIntentId]) expect(await search(q)).toEqual([orderId]);
    for (const q of [reference, number, `#${number}`]) expect(await search(q)).toEqual([wix.id]);
    expect(await search(orderId, '&status=PENDING')).toEqual([orderId]);
    expect(await search(orderId, '&status=PAID')).toEqual([]);
    expect(await search(`nobody-${randomUUID()}`)).toEqual([]);
    expect((await api(stack.running.url, `/admin/orders?q=${'x'.repeat(201)}`, { admin: true })).status).toBe(400);
  });

  it('answers 404 for an unknown order', async () => {
    expect((await api(stack.running.url, '/admin/orders/ord_missing', { admin: true })).status).toBe(404);
    expect((await api(stack.running.url, '/admin/orders/ord_missing/complete', { admin: true, method: 'POST' })).status).toBe(404);
  });
});
