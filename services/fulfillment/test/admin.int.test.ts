import { randomUUID } from 'node:crypto';
import { api, approvedOrder, outcome, SHOP_A, useFulfillmentStack } from './support';

describe('the admin API: one order’s fulfillment for support', () => {
  const stack = useFulfillmentStack('fulfillment_admin');

  it('shows the job, tickets and license hints; keys only when asked; 404 for an order without one', async () => {
    const productId = `app-${randomUUID()}`;
    const keys = [`KEY-${randomUUID()}`];
    await api(stack.running.url, `/admin/license-pools/${productId}/keys`, { admin: true, method: 'POST', body: { keys } });
    const order = approvedOrder([{ kind: 'ticket', quantity: 2 }, { kind: 'license', productId }]);
    await stack.publish('order.ready_to_fulfill', order);
    await outcome(stack, order.orderId, 'fulfillment.completed');

    expect((await api(stack.running.url, `/admin/orders/${order.orderId}/fulfillment`, { key: SHOP_A.key })).status).toBe(401);
    const view = await api(stack.running.url, `/admin/orders/${order.orderId}/fulfillment`, { admin: true });
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ orderId: order.orderId, instanceId: SHOP_A.instanceId, status: 'COMPLETED', attempts: expect.any(Number), completedAt: expect.any(String) });
    expect(view.body.tickets.map((t: { seat: number; status: string }) => `${t.seat}:${t.status}`)).toEqual(['0:ISSUED', '1:ISSUED']);
    expect(view.body.tickets[0].qrPayload).toEqual(expect.any(String));
    expect(view.body.licenses).toEqual([expect.objectContaining({ productId, status: 'ASSIGNED', key: null, keyHint: `…${keys[0].slice(-4)}` })]);
    expect(JSON.stringify(view.body)).not.toContain(keys[0]);

    const revealed = await api(stack.running.url, `/admin/orders/${order.orderId}/fulfillment?reveal=keys`, { admin: true });
    expect(revealed.body.licenses[0].key).toBe(keys[0]);
    expect((await api(stack.running.url, `/admin/orders/${order.orderId}/fulfillment?reveal=everything`, { admin: true })).status).toBe(400);
    expect((await api(stack.running.url, `/admin/orders/ord_${randomUUID()}/fulfillment`, { admin: true })).status).toBe(404);
  });
});

describe('instance API keys made through the admin API', () => {
  const stack = useFulfillmentStack('fulfillment_keys');
  const admin = (path: string, options: { method?: string; body?: unknown } = {}) => api(stack.running.url, path, { admin: true, ...options });

  it('work on the customer API at once and after a restart, and stop at once when revoked, each step audited', async () => {
    const created = await admin('/admin/api-keys', { method: 'POST', body: { instanceId: SHOP_A.instanceId } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ instanceId: SHOP_A.instanceId, origin: 'admin', revokedAt: null });
    const key = created.body.key as string;
    // Authenticated: an order it has no fulfillment for is a 404, not a 401.
    const unknownOrder = `/api/orders/ord_${randomUUID()}/fulfillment`;
    expect((await api(stack.running.url, unknownOrder, { key })).status).toBe(404);

    await stack.restart();
    expect((await api(stack.running.url, unknownOrder, { key })).status).toBe(404);

    expect((await admin(`/admin/api-keys/${created.body.id}/revoke`, { method: 'POST' })).status).toBe(200);
    expect((await api(stack.running.url, unknownOrder, { key })).status).toBe(401);
    expect((await admin(`/admin/api-keys/${created.body.id}`)).body.audit.map((a: { action: string }) => a.action)).toEqual(['created', 'revoked']);
    expect((await admin(`/admin/api-keys/${randomUUID()}`)).status).toBe(404);
    expect((await admin('/admin/api-keys', { method: 'POST', body: { instanceId: 'a:b' } })).status).toBe(400);
  });
});
