import { randomUUID } from 'node:crypto';
import { callApi } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import { ADMIN_TOKEN, SHOP_A, SHOP_B, useDispatchStack, usePartners } from './support';

const order = () => `ord_${randomUUID()}`;

describe('the admin API: partner webhooks for support', () => {
  const stack = useDispatchStack('dispatch_admin');
  const partner = usePartners();
  const admin = (path: string, options: { method?: string; body?: unknown } = {}) => callApi(stack.running.url, path, { bearer: ADMIN_TOKEN, ...options });

  it('refuses every admin route without the admin token; an instance API key is not one', async () => {
    for (const path of ['/admin/subscriptions', '/admin/deliveries', '/admin/deliveries/1']) {
      const res = await callApi(stack.running.url, path, { bearer: SHOP_A.key });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('lists every instance’s subscriptions with their backlog, success rate and breaker, never their secrets', async () => {
    const [a, b] = [await partner(), await partner()];
    const subA = (await stack.subscribe(a, ['order.*'])).body;
    const subB = (await stack.subscribe(b, ['order.paid'], { key: SHOP_B.key })).body;
    a.replies = [{ status: 500 }];
    const id = order();
    await stack.publish('order.paid', id);
    await stack.publish('order.paid', order(), SHOP_B.instanceId);
    await waitFor(() => a.of(id).length === 1 && b.received.length === 1);

    // The partner has its answer before the attempt is recorded: wait for the record.
    const all = await waitFor(async () => {
      const res = await admin('/admin/subscriptions');
      const row = res.body.items?.find((s: { id: string }) => s.id === subA.id);
      return row?.deliveries.delivered === 1 ? res : null;
    }, { description: 'the delivery recorded' });
    expect(all.status).toBe(200);
    const rowA = all.body.items.find((s: { id: string }) => s.id === subA.id);
    expect(rowA).toMatchObject({ instanceId: SHOP_A.instanceId, active: true, breaker: 'closed', deliveries: { delivered: 1, failed: 0 } });
    expect(rowA.last24h).toMatchObject({ attempts: 2, succeeded: 1, successRate: 0.5 });
    expect(all.body.items.some((s: { id: string }) => s.id === subB.id)).toBe(true);
    expect(JSON.stringify(all.body)).not.toContain(subA.secret);
    const onlyB = await admin(`/admin/subscriptions?instanceId=${SHOP_B.instanceId}`);
    expect(onlyB.body.items.map((s: { instanceId: string }) => s.instanceId)).toEqual([SHOP_B.instanceId]);
  });

  it('shows a failed delivery with its attempts, and a resend by support delivers it', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.paid'])).body;
    const eventId = `order.paid:${randomUUID()}`;
    // Every attempt of the schedule (four) fails.
    p.failing.set(eventId, 4);
    const id = order();
    await stack.publish('order.paid', id, SHOP_A.instanceId, eventId);

    const failed = await waitFor(async () => {
      const res = await admin(`/admin/deliveries?status=FAILED&subscriptionId=${sub.id}`);
      return res.body.items.find((d: { eventId: string }) => d.eventId === eventId) ?? null;
    });
    expect(failed).toMatchObject({ orderKey: id, attempts: 4, lastStatus: 500, instanceId: SHOP_A.instanceId, url: p.url });
    expect(failed.attemptLog).toHaveLength(4);
    expect(failed.attemptLog[0]).toMatchObject({ statusCode: 500, error: expect.stringContaining('500') });
    expect(typeof failed.attemptLog[0].latencyMs).toBe('number');
    const ofOrder = (await admin(`/admin/deliveries?orderKey=${id}`)).body.items;
    expect(ofOrder.map((d: { id: string }) => d.id)).toContain(failed.id);
    expect(ofOrder.every((d: { orderKey: string }) => d.orderKey === id)).toBe(true);

    const resent = await admin(`/admin/deliveries/${failed.id}/resend`, { method: 'POST' });
    expect(resent.status).toBe(202);
    const delivered = await waitFor(async () => {
      const res = await admin(`/admin/deliveries/${failed.id}`);
      return res.body.status === 'DELIVERED' ? res.body : null;
    });
    expect(delivered.attempts.map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 500, 500, 500, 200]);
    expect(p.received.map((r) => r.id)).toEqual([eventId]);
    expect((await admin('/admin/deliveries/999999999/resend', { method: 'POST' })).status).toBe(404);
    expect((await admin('/admin/deliveries/abc')).status).toBe(400);
  });

  it('disables (holding what arrives), enables (delivering it), and replays a time range with the original IDs', async () => {
    const p = await partner();
    const sub = (await stack.subscribe(p, ['order.*'])).body;
    const from = new Date().toISOString();
    const first = await stack.publish('order.created', order());
    await waitFor(() => p.received.some((r) => r.id === first));

    const off = await admin(`/admin/subscriptions/${sub.id}/active`, { method: 'POST', body: { active: false, reason: 'partner maintenance' } });
    expect(off.body).toMatchObject({ active: false, disabledReason: 'partner maintenance' });
    const held = await stack.publish('order.paid', order());
    await waitFor(async () => (await admin(`/admin/deliveries?status=HELD&subscriptionId=${sub.id}`)).body.items.some((d: { eventId: string }) => d.eventId === held));
    expect(p.received.some((r) => r.id === held)).toBe(false);

    expect((await admin(`/admin/subscriptions/${sub.id}/active`, { method: 'POST', body: { active: true } })).body.active).toBe(true);
    await waitFor(() => p.received.some((r) => r.id === held));

    const replay = await admin(`/admin/subscriptions/${sub.id}/replay`, { method: 'POST', body: { from, to: new Date(Date.now() + 1_000).toISOString() } });
    expect(replay.status).toBe(202);
    expect(replay.body.replayed).toBe(2);
    await waitFor(() => p.received.filter((r) => r.id === first).length === 2 && p.received.filter((r) => r.id === held).length === 2);

    expect((await admin(`/admin/subscriptions/${sub.id}/replay`, { method: 'POST', body: { from: 'yesterday' } })).status).toBe(400);
    expect((await admin('/admin/subscriptions/sub_missing/active', { method: 'POST', body: { active: true } })).status).toBe(404);
  });
});

describe('instance API keys', () => {
  const stack = useDispatchStack('dispatch_keys');

  it('stop working once taken out of API_KEYS and the service started again; the others keep working', async () => {
    expect((await stack.api('/external/webhooks', { key: SHOP_B.key })).status).toBe(200);
    await stack.restart({ API_KEYS: `${SHOP_A.instanceId}:${SHOP_A.key}` });
    const revoked = await stack.api('/external/webhooks', { key: SHOP_B.key });
    expect(revoked.status).toBe(401);
    expect((await stack.api('/external/webhooks', { key: SHOP_A.key })).status).toBe(200);
    // Named again, it works again.
    await stack.restart();
    expect((await stack.api('/external/webhooks', { key: SHOP_B.key })).status).toBe(200);
  });

  it('made through the admin API: works at once, survives a restart, and stops at once when revoked, each step audited', async () => {
    const admin = (path: string, options: { method?: string; body?: unknown } = {}) => callApi(stack.running.url, path, { bearer: ADMIN_TOKEN, ...options });
    const created = await admin('/admin/api-keys', { method: 'POST', body: { instanceId: 'shop-z' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ instanceId: 'shop-z', origin: 'admin', revokedAt: null });
    const key = created.body.key as string;
    expect(await stack.api('/external/webhooks', { key })).toMatchObject({ status: 200, body: { items: [] } });

    await stack.restart({ API_KEYS: `${SHOP_A.instanceId}:${SHOP_A.key}` });
    expect((await stack.api('/external/webhooks', { key })).status).toBe(200);

    expect((await admin(`/admin/api-keys/${created.body.id}/revoke`, { method: 'POST' })).status).toBe(200);
    expect((await stack.api('/external/webhooks', { key })).status).toBe(401);
    expect((await admin(`/admin/api-keys/${created.body.id}`)).body.audit.map((a: { action: string }) => a.action)).toEqual(['created', 'revoked']);
    expect((await admin(`/admin/api-keys/${randomUUID()}/revoke`, { method: 'POST' })).status).toBe(404);
    expect((await admin('/admin/api-keys', { method: 'POST', body: { instanceId: '' } })).status).toBe(400);
  });
});
