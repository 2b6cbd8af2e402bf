import { createHash, randomUUID } from 'node:crypto';
import { callApi } from '@orderflow/service-testing';
import { ADMIN_TOKEN, api, SHOP_A, SHOP_B, useOrderStack } from './support';

/** A config key the tests revoke, so the shops' keys stay usable for the others. */
const SHOP_R = { instanceId: 'shop-r', key: 'key-shop-r-0123456789abcdefghij' };
const CONFIG_KEYS = `${SHOP_A.instanceId}:${SHOP_A.key},${SHOP_B.instanceId}:${SHOP_B.key},${SHOP_R.instanceId}:${SHOP_R.key}`;

const fingerprintOf = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 8);

describe('instance API keys managed through /admin/api-keys', () => {
  const stack = useOrderStack('order_api_keys', () => ({ API_KEYS: CONFIG_KEYS }));
  const admin = (path: string, options: { method?: string; body?: unknown } = {}) => api(stack.running.url, path, { admin: true, ...options });
  const asShop = (key: string, path: string, options: { method?: string; body?: unknown } = {}) => api(stack.running.url, path, { key, ...options });
  /** An admin call with our own request ID, as the audit records it. */
  const adminAs = async (requestId: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.running.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'x-request-id': requestId, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };

  it('creates a key that works on the order API at once, for its instance only, shown once and listed without its secret', async () => {
    const created = await adminAs('req-create-1', 'POST', '/admin/api-keys', { instanceId: 'shop-c' });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), instanceId: 'shop-c', fingerprint: fingerprintOf(key), origin: 'admin', createdAt: expect.any(String), revokedAt: null, key });

    // Tenancy: shop-a's tracked checkout is invisible to shop-c's new key, visible to shop-a's.
    const checkoutId = `co-${randomUUID()}`;
    expect((await asShop(SHOP_A.key, '/external/checkouts', { method: 'POST', body: { checkoutId } })).status).toBe(201);
    expect((await asShop(key, '/external/orders')).body).toEqual({ items: [], nextCursor: null });
    expect((await asShop(key, `/external/order/status?checkoutId=${checkoutId}`)).status).toBe(404);
    expect((await asShop(SHOP_A.key, `/external/order/status?checkoutId=${checkoutId}`)).status).toBe(200);
    const forA = await admin('/admin/api-keys', { method: 'POST', body: { instanceId: SHOP_A.instanceId } });
    expect((await asShop(forA.body.key, `/external/order/status?checkoutId=${checkoutId}`)).body).toMatchObject({ tracked: { checkoutId } });

    const listed = await admin('/admin/api-keys?instanceId=shop-c');
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([{ id: created.body.id, instanceId: 'shop-c', fingerprint: fingerprintOf(key), origin: 'admin', createdAt: created.body.createdAt, revokedAt: null }]);
    const all = await admin('/admin/api-keys');
    expect(all.body.items.map((k: { instanceId: string; origin: string }) => `${k.instanceId}/${k.origin}`).sort()).toEqual(
      ['shop-a/admin', 'shop-a/config', 'shop-b/config', 'shop-c/admin', 'shop-r/config'].sort(),
    );
    const text = JSON.stringify(all.body);
    for (const secret of [key, SHOP_A.key, createHash('sha256').update(key).digest('hex'), createHash('sha256').update(SHOP_A.key).digest('hex')]) {
      expect(text).not.toContain(secret);
    }
  });

  it('revokes a key: the next request with it is a 401, the audit names each request, and revoking again changes nothing', async () => {
    const created = await adminAs('req-create-2', 'POST', '/admin/api-keys', { instanceId: 'shop-d' });
    const { id, key } = created.body as { id: string; key: string };
    expect((await asShop(key, '/external/orders')).status).toBe(200);

    const revoked = await adminAs('req-revoke-2', 'POST', `/admin/api-keys/${id}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id, instanceId: 'shop-d', origin: 'admin', revokedAt: expect.any(String) });
    expect(revoked.body).not.toHaveProperty('key');
    const refused = await asShop(key, '/external/orders');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);

    const again = await adminAs('req-revoke-2b', 'POST', `/admin/api-keys/${id}/revoke`);
    expect(again).toEqual({ status: 200, body: revoked.body });
    const shown = await admin(`/admin/api-keys/${id}`);
    expect(shown.status).toBe(200);
    expect(shown.body.audit).toEqual([
      { at: expect.any(String), action: 'created', keyId: id, instanceId: 'shop-d', requestId: 'req-create-2', remoteAddress: expect.stringMatching(/127\.0\.0\.1$/) },
      { at: expect.any(String), action: 'revoked', keyId: id, instanceId: 'shop-d', requestId: 'req-revoke-2', remoteAddress: expect.stringMatching(/127\.0\.0\.1$/) },
    ]);
  });

  it('keeps admin keys and revocations across a restart; API_KEYS still replaces only its own keys', async () => {
    const kept = await admin('/admin/api-keys', { method: 'POST', body: { instanceId: 'shop-e' } });
    const dropped = await admin('/admin/api-keys', { method: 'POST', body: { instanceId: 'shop-e' } });
    expect((await admin(`/admin/api-keys/${dropped.body.id}/revoke`, { method: 'POST' })).status).toBe(200);
    const configKeys = (await admin(`/admin/api-keys?instanceId=${SHOP_R.instanceId}`)).body.items as Array<{ id: string }>;
    expect(configKeys).toHaveLength(1);
    expect((await admin(`/admin/api-keys/${configKeys[0].id}/revoke`, { method: 'POST' })).status).toBe(200);

    // SHOP_B leaves API_KEYS; SHOP_R stays in it although revoked.
    await stack.restart({ API_KEYS: `${SHOP_A.instanceId}:${SHOP_A.key},${SHOP_R.instanceId}:${SHOP_R.key}` });

    expect((await asShop(kept.body.key, '/external/orders')).status).toBe(200);
    expect((await asShop(dropped.body.key, '/external/orders')).status).toBe(401);
    expect((await asShop(SHOP_R.key, '/external/orders')).status).toBe(401);
    expect((await asShop(SHOP_B.key, '/external/orders')).status).toBe(401);
    expect((await asShop(SHOP_A.key, '/external/orders')).status).toBe(200);
    const shopE = (await admin('/admin/api-keys?instanceId=shop-e')).body.items as Array<{ id: string; revokedAt: string | null }>;
    expect(Object.fromEntries(shopE.map((k) => [k.id, k.revokedAt === null]))).toEqual({ [kept.body.id]: true, [dropped.body.id]: false });
    expect((await admin(`/admin/api-keys/${dropped.body.id}`)).body.audit.map((a: { action: string }) => a.action)).toEqual(['created', 'revoked']);
  });

  it('answers 400 to bad input, 404 to an unknown key, and 401 without the admin token', async () => {
    for (const body of [{}, { instanceId: '' }, { instanceId: 'shop:1' }, { instanceId: 'shop 1' }, { instanceId: 'a,b' }, { instanceId: 'x'.repeat(256) }, { instanceId: 7 }, { instanceId: 'shop-f', scope: 'all' }, ['shop-f'], null]) {
      const res = await admin('/admin/api-keys', { method: 'POST', body });
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const malformed = await fetch(`${stack.running.url}/admin/api-keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: '{"instanceId":' });
    expect(malformed.status).toBe(400);
    expect((await admin('/admin/api-keys?instanceId=a&instanceId=b')).status).toBe(400);
    expect((await admin('/admin/api-keys/not-a-key-id/revoke', { method: 'POST' })).status).toBe(400);
    expect((await admin(`/admin/api-keys/${randomUUID()}/revoke`, { method: 'POST' })).status).toBe(404);
    expect((await admin(`/admin/api-keys/${randomUUID()}`)).status).toBe(404);

    expect((await callApi(stack.running.url, '/admin/api-keys')).status).toBe(401);
    expect((await asShop(SHOP_A.key, '/admin/api-keys')).status).toBe(401);
    expect((await asShop(SHOP_A.key, '/admin/api-keys', { method: 'POST', body: { instanceId: SHOP_A.instanceId } })).status).toBe(401);
  });
});
