import { randomUUID } from 'node:crypto';
import { Topics } from '@orderflow/events';
import { waitFor } from '@orderflow/testing';
import { countOf, metricValue, useIngressStack } from './support';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
type SigningKey = Awaited<ReturnType<Jose['generateKeyPair']>>['privateKey'];

describe('POST /api/webhooks/wix', () => {
  let jose: Jose;
  let privateKey: SigningKey;
  let otherKey: SigningKey;

  /** A webhook exactly as Wix sends it: a JWT whose `data` is JSON holding JSON strings. */
  async function wixJwt(eventType: string, inner: Record<string, unknown>, key: SigningKey = privateKey, instanceId = 'instance-1') {
    const data = JSON.stringify({ eventType, instanceId, data: JSON.stringify(inner), identity: JSON.stringify({ identityType: 'APP' }) });
    return new jose.SignJWT({ data }).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().sign(key);
  }

  function orderEvent(kind: 'created' | 'updated' | 'action', orderId: string, eventId = randomUUID()) {
    const order = { id: orderId, number: '10001', status: 'APPROVED', paymentStatus: 'PAID' };
    const base = { id: eventId, entityFqdn: 'wix.ecom.v1.order', slug: kind, entityId: orderId, eventTime: new Date().toISOString() };
    if (kind === 'created') return { ...base, createdEvent: { entityAsJson: JSON.stringify(order) } };
    if (kind === 'updated') return { ...base, updatedEvent: { currentEntityAsJson: JSON.stringify(order) } };
    return { ...base, actionEvent: { bodyAsJson: JSON.stringify({ order }) } };
  }

  const post = (body: string, contentType = 'text/plain') =>
    fetch(`${stack.running.url}/api/webhooks/wix`, { method: 'POST', headers: { 'content-type': contentType }, body });

  const stack = useIngressStack('ingress_wix', {
    topic: Topics.wixIngress,
    env: async () => {
      jose = await import('jose');
      const pair = await jose.generateKeyPair('RS256', { extractable: true });
      privateKey = pair.privateKey;
      otherKey = (await jose.generateKeyPair('RS256')).privateKey;
      const pem = await jose.exportSPKI(pair.publicKey);
      // As env files carry it: on one line with literal \n.
      return { REDIS_URL: 'redis://127.0.0.1:6379', WIX_PUBLIC_KEY: pem.replace(/\n/g, '\\n') };
    },
  });

  it.each(['created', 'updated', 'action'] as const)('publishes an order event whose entity is in %sEvent, keyed by the order ID', async (kind) => {
    const orderId = `order-${randomUUID()}`;
    const inner = orderEvent(kind, orderId);
    const started = Date.now();
    const res = await post(await wixJwt(kind === 'action' ? 'wix.ecom.v1.order_paid' : 'wix.ecom.v1.order_created', inner));
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1_250);
    const message = await waitFor(() => stack.reader.received.find((r) => r.event.eventId === inner.id));
    expect(message.key).toBe(orderId);
    expect(message.event).toMatchObject({ source: 'wix', orderKey: orderId, instanceId: 'instance-1' });
    expect(message.event.payload).toMatchObject({ id: inner.id, entityId: orderId, entity: { id: orderId, paymentStatus: 'PAID' } });
  });

  it('refuses a JWT signed with another key with 401 and counts it', async () => {
    const res = await post(await wixJwt('wix.ecom.v1.order_paid', orderEvent('created', 'o-forged'), otherKey));
    expect(res.status).toBe(401);
    expect((await post('not-a-jwt')).status).toBe(401);
    expect(await metricValue(stack.running.ingress, 'ingress_signature_failures_total', { source: 'wix' })).toBe(2);
  });

  it('checks the claims Wix documents: refuses (401) a token without iat, issued more than 5 minutes ahead, or expired', async () => {
    const data = JSON.stringify({ eventType: 'wix.ecom.v1.order_paid', instanceId: 'instance-1', data: JSON.stringify(orderEvent('action', 'order-claims')) });
    const now = Math.floor(Date.now() / 1000);
    const signed = (claims: Record<string, unknown>) => new jose.SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    for (const claims of [{ data }, { data, iat: now + 3_600 }, { data, iat: now - 7_200, exp: now - 3_600 }]) {
      expect((await post(await signed(claims))).status).toBe(401);
    }
    // As Wix signs it: issued now (a minute of clock skew either way is fine), expiring later.
    expect((await post(await signed({ data, iat: now + 60, exp: now + 300_000 }))).status).toBe(200);
  });

  it('answers 400 when the verified JWT holds no event (no ID to log it by)', async () => {
    const bad = await jose.SignJWT.prototype.sign.call(
      new jose.SignJWT({ data: '{"eventType":"wix.ecom.v1.order_paid","data":"{not json"}' }).setProtectedHeader({ alg: 'RS256' }).setIssuedAt(),
      privateKey,
    );
    expect((await post(bad)).status).toBe(400);
  });

  it('quarantines an authentic order event without its order (200), and a replay reads the stored token again', async () => {
    const inner = { id: randomUUID(), entityId: 'o1' };
    const token = await wixJwt('wix.ecom.v1.order_paid', inner);
    const res = await post(token);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'quarantined', eventId: inner.id, reason: 'not a valid wix.ecom.v1.order_paid event' });
    expect(await metricValue(stack.running.ingress, 'ingress_quarantined_total', { source: 'wix', reason: 'invalid_event' })).toBe(1);
    const auth = { authorization: 'Bearer admin-token-for-tests-0123456789' };
    const { items } = (await (await fetch(`${stack.running.url}/admin/events?eventId=${inner.id}`, { headers: auth })).json()) as { items: Array<{ id: string; status: string }> };
    expect(items[0]?.status).toBe('quarantined');
    const row = (await (await fetch(`${stack.running.url}/admin/events/${items[0]?.id}`, { headers: auth })).json()) as { rawBody: string; instanceId: string };
    expect(row).toMatchObject({ rawBody: token, instanceId: 'instance-1' });
    const replay = await fetch(`${stack.running.url}/admin/events/${items[0]?.id}/replay`, { method: 'POST', headers: auth });
    expect(replay.status).toBe(409);
    expect(await replay.json()).toMatchObject({ detail: 'Still cannot be published: not a valid wix.ecom.v1.order_paid event' });
    expect(countOf(stack.reader.received, inner.id)).toBe(0);
  });

  it('answers 415 for a form body, and a redelivered event is not published twice', async () => {
    expect((await post('x=1', 'application/x-www-form-urlencoded')).status).toBe(415);
    const inner = orderEvent('created', 'order-dup');
    const token = await wixJwt('wix.ecom.v1.order_created', inner);
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(token)));
    expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
    const marker = orderEvent('created', 'order-dup');
    await post(await wixJwt('wix.ecom.v1.order_created', marker));
    await waitFor(() => countOf(stack.reader.received, marker.id) === 1);
    expect(countOf(stack.reader.received, inner.id)).toBe(1);
  });

  it('acknowledges other Wix event types without publishing them', async () => {
    const res = await post(await wixJwt('wix.ecom.v1.cart_created', { id: randomUUID(), entityId: 'cart-1' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'ignored' });
  });
});
