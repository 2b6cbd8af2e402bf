import { createHash } from 'node:crypto';
import type { Served } from '@orderflow/service-testing';
import { signCustomerLink, verifyCustomerLink, type ConsoleService } from '../src';
import { ADMIN_TOKEN, Browser, LINK_SECRET, METRICS_TOKEN, startConsole, Upstream } from './support';

describe('the console server', () => {
  let upstream: Upstream;
  let served: Served<ConsoleService>;
  beforeAll(async () => {
    upstream = await Upstream.start();
    served = await startConsole(upstream);
  });
  afterAll(async () => {
    await served?.close();
    await upstream?.close();
  });
  const signedIn = async () => {
    const browser = new Browser(served.url);
    expect((await browser.signIn()).status).toBe(201);
    return browser;
  };

  describe('metrics', () => {
    it('serves its own /metrics only to METRICS_TOKEN', async () => {
      expect((await fetch(`${served.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${served.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(401);
      expect((await fetch(`${served.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status).toBe(200);
    });

    it("scrapes the services' /metrics for the health page with METRICS_TOKEN, never the admin token", async () => {
      upstream.answer('GET /metrics', (seen) =>
        seen.authorization === `Bearer ${METRICS_TOKEN}`
          ? { status: 200, text: 'orderflow_consumer_lag{group="g",topic="t",partition="0"} 7\n' }
          : { status: 401, body: { type: 'about:blank', title: 'Unauthorized', status: 401 } },
      );
      const browser = await signedIn();
      const before = upstream.seen.length;
      const health = (await (await browser.fetch('/console/api/health')).json()) as { consumers: Array<{ lag: number }> };
      expect(health.consumers).toHaveLength(5);
      expect(health.consumers.every((row) => row.lag === 7)).toBe(true);
      const scrapes = upstream.seen.slice(before).filter((seen) => seen.path === '/metrics');
      expect(scrapes.map((seen) => seen.authorization)).toEqual(Array(5).fill(`Bearer ${METRICS_TOKEN}`));
    });
  });

  describe('sign-in and sessions', () => {
    it('refuses a wrong token with a problem document, sets no cookie, and asks no service', async () => {
      const before = upstream.seen.length;
      const res = await new Browser(served.url).signIn('not-the-admin-token');
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(((await res.json()) as { detail: string }).detail).toBe('That is not the admin token');
      expect(upstream.seen.length).toBe(before);
    });

    it('signs in with an HttpOnly, SameSite=Strict session cookie; the token itself goes nowhere', async () => {
      const browser = new Browser(served.url);
      const res = await browser.signIn();
      const cookie = res.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^orderflow_console_session=[A-Za-z0-9_-]{43};/);
      expect(cookie).toContain('HttpOnly');
      expect(cookie).toContain('SameSite=Strict');
      expect(cookie).toContain('Path=/console');
      expect(cookie).toMatch(/Max-Age=28800/);
      expect(cookie).not.toContain('Secure');
      const body = await res.text();
      expect(body).not.toContain(ADMIN_TOKEN);
      const session = (await (await browser.fetch('/console/api/session')).json()) as { signedIn: boolean; csrfToken: string };
      expect(session).toMatchObject({ signedIn: true, csrfToken: browser.csrf });
    });

    it('needs the session for the API, and the CSRF token and our origin for any change', async () => {
      upstream.answer('POST /admin/events/7/replay', { status: 200, body: { replayed: true, id: '7', eventId: 'evt_7' } });
      expect((await new Browser(served.url).fetch('/console/api/events')).status).toBe(401);
      const browser = await signedIn();
      expect((await browser.fetch('/console/api/events/7/replay', { method: 'POST', headers: { 'x-csrf-token': 'guessed' } })).status).toBe(403);
      expect((await browser.fetch('/console/api/events/7/replay', { method: 'POST', headers: { origin: 'https://evil.example' } })).status).toBe(403);
      const before = upstream.seen.length;
      const ok = await browser.fetch('/console/api/events/7/replay', { method: 'POST' });
      expect(ok.status).toBe(200);
      // The console, not the browser, holds the admin token: it is sent upstream as the bearer.
      expect(upstream.seen.slice(before)).toEqual([expect.objectContaining({ method: 'POST', path: '/admin/events/7/replay', authorization: `Bearer ${ADMIN_TOKEN}` })]);
    });

    it('signs out: the cookie is cleared and the old session ID no longer works', async () => {
      const browser = await signedIn();
      expect((await browser.fetch('/console/api/session', { method: 'DELETE', headers: { 'x-csrf-token': 'wrong' } })).status).toBe(403);
      const out = await browser.fetch('/console/api/session', { method: 'DELETE' });
      expect(out.status).toBe(204);
      expect(out.headers.get('set-cookie')).toMatch(/orderflow_console_session=;.*Expires=Thu, 01 Jan 1970/);
      expect((await browser.fetch('/console/api/session')).status).toBe(401);
    });

    it('limits failed sign-ins per client: past the limit even the right token waits', async () => {
      const limited = await startConsole(upstream, { SIGN_IN_LIMIT: '3' });
      try {
        const browser = new Browser(limited.url);
        for (let i = 0; i < 3; i += 1) expect((await browser.signIn(`wrong-${i}`)).status).toBe(401);
        const blocked = await browser.signIn();
        expect(blocked.status).toBe(429);
        expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(800);
        expect(blocked.headers.get('set-cookie')).toBeNull();
      } finally {
        await limited.close();
      }
    });

    it('refuses a sign-in posted from another site', async () => {
      const res = await new Browser(served.url).fetch('/console/api/session', { method: 'POST', body: JSON.stringify({ token: ADMIN_TOKEN }), headers: { 'content-type': 'application/json', origin: 'https://evil.example' } });
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
    });
  });

  describe('what the browser is shown', () => {
    it('shows an event payload with its secrets masked, and passes the filters on', async () => {
      upstream.answer('GET /admin/events/42', {
        status: 200,
        body: { id: '42', eventId: 'evt_42', status: 'published', payload: { id: 'evt_42', data: { object: { id: 'pi_1', client_secret: 'pi_1_secret_abc', amount: 900, metadata: { note: 'sk_live_abcdefghij' } } } } },
      });
      upstream.answer('GET /admin/events?source=stripe&status=failed&limit=50', { status: 200, body: { items: [{ id: '42', eventId: 'evt_42', error: 'Kafka said no' }], nextCursor: null } });
      const browser = await signedIn();
      const event = (await (await browser.fetch('/console/api/events/42')).json()) as { payload: { data: { object: Record<string, unknown> } } };
      expect(event.payload.data.object).toEqual({ id: 'pi_1', client_secret: '[redacted]', amount: 900, metadata: { note: 'sk_live_[redacted]' } });
      const list = await browser.fetch('/console/api/events?source=stripe&status=failed');
      expect(((await list.json()) as { items: unknown[] }).items).toEqual([{ id: '42', eventId: 'evt_42', error: 'Kafka said no' }]);
      expect((await browser.fetch('/console/api/events?status=bogus')).status).toBe(400);
      expect((await browser.fetch('/console/api/events/not-a-number')).status).toBe(400);
    });

    it('shows a quarantined event’s body as received with its secrets masked; a body that is not JSON only by its size', async () => {
      const body = JSON.stringify({ id: 'evt_q', data: { object: { id: 'pi_q', client_secret: 'pi_q_secret_abc', description: 'a\u0000b' } } });
      upstream.answer('GET /admin/events/43', { status: 200, body: { id: '43', eventId: 'evt_q', status: 'quarantined', payload: null, rawBody: body } });
      upstream.answer('GET /admin/events/44', { status: 200, body: { id: '44', eventId: 'wix_q', status: 'quarantined', payload: null, rawBody: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln' } });
      upstream.answer('GET /admin/events?status=quarantined&limit=50', { status: 200, body: { items: [{ id: '43', eventId: 'evt_q', error: 'the event contains a NUL character' }], nextCursor: null } });
      const browser = await signedIn();
      const event = (await (await browser.fetch('/console/api/events/43')).json()) as { rawBody: { data: { object: Record<string, unknown> } } };
      expect(event.rawBody.data.object).toEqual({ id: 'pi_q', client_secret: '[redacted]', description: 'a\u0000b' });
      expect(await (await browser.fetch('/console/api/events/44')).json()).toMatchObject({ rawBody: '[29 bytes, not JSON: not shown here; the ingress admin API has it]' });
      expect((await browser.fetch('/console/api/events?status=quarantined')).status).toBe(200);
    });

    it('passes a service’s refusal on with its words; a service that is down or refuses the console is a 502', async () => {
      upstream.answer('POST /admin/orders/ord_1/refund', { status: 409, body: { title: 'Conflict', status: 409, detail: 'The order is PENDING; it cannot be refunded' } });
      upstream.answer('GET /admin/orders?limit=50', { status: 401, body: { title: 'Unauthorized', status: 401 } });
      const browser = await signedIn();
      const refused = await browser.fetch('/console/api/orders/ord_1/refund', { method: 'POST', body: JSON.stringify({ reason: 'asked' }), headers: { 'content-type': 'application/json' } });
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as { detail: string }).detail).toBe('The order is PENDING; it cannot be refunded');
      const refund = upstream.seen.find((s) => s.path === '/admin/orders/ord_1/refund')!;
      expect(JSON.parse(refund.body)).toEqual({ reason: 'asked' });
      expect((await browser.fetch('/console/api/orders/ord_1/refund', { method: 'POST', body: JSON.stringify({ amountCents: -5 }), headers: { 'content-type': 'application/json' } })).status).toBe(400);

      const misconfigured = await browser.fetch('/console/api/orders');
      expect(misconfigured.status).toBe(502);
      expect(((await misconfigured.json()) as { detail: string }).detail).toBe("The order service refused the console's admin token");

      const down = await startConsole(upstream, { ORDER_URL: 'http://127.0.0.1:9' });
      try {
        const other = new Browser(down.url);
        await other.signIn();
        const res = await other.fetch('/console/api/orders');
        expect(res.status).toBe(502);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        const problem = (await res.json()) as { detail: string };
        expect(problem.detail).toBe('The order service did not answer');
        expect(JSON.stringify(problem)).not.toContain('127.0.0.1:9');
      } finally {
        await down.close();
      }
    });

    it('puts one order together from every service, with a part missing when its service fails', async () => {
      const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
      upstream.answer('GET /admin/orders/ord_9', {
        status: 200,
        body: {
          orderId: 'ord_9',
          status: 'FULFILLED',
          history: [
            { fromStatus: null, toStatus: 'PENDING', applied: true, cause: 'checkout', reason: null, at: at(0) },
            { fromStatus: 'PENDING', toStatus: 'PAID', applied: true, cause: 'payment_intent.succeeded', reason: null, at: at(2) },
          ],
          payments: [{ provider: 'stripe', status: 'SUCCEEDED', amountCents: 1_500, currency: 'eur', providerPaymentRef: 'pi_9', createdAt: at(2) }],
        },
      });
      upstream.answer('GET /admin/events?orderKey=ord_9&limit=200', { status: 200, body: { items: [{ id: '1', source: 'stripe', type: 'payment_intent.succeeded', status: 'published', error: null, receivedAt: at(1), eventId: 'evt_9' }], nextCursor: null } });
      upstream.answer('GET /admin/orders/ord_9/fulfillment', {
        status: 200,
        body: {
          status: 'COMPLETED',
          lastError: null,
          createdAt: at(3),
          updatedAt: at(4),
          completedAt: at(4),
          voidedAt: null,
          tickets: [{ ticketId: 't1', code: 'CODE-1', seat: 0, status: 'ISSUED', issuedAt: at(4), voidedAt: null, qrPayload: 'OF1.secret-entry' }],
          licenses: [],
        },
      });
      upstream.answer('GET /admin/notifications?orderId=ord_9&limit=200', { status: 500, body: { status: 500 } });
      upstream.answer('GET /admin/deliveries?orderKey=ord_9&limit=200', { status: 200, body: { items: [{ id: '5', eventType: 'order.paid', status: 'FAILED', attempts: 3, lastStatus: 500, lastError: 'partner answered 500', createdAt: at(5), deliveredAt: null, url: 'https://partner.example/hook?token=abc' }], nextCursor: null } });

      const detail = (await (await (await signedIn()).fetch('/console/api/orders/ord_9')).json()) as Record<string, any>;
      expect(detail.timeline.map((t: { source: string; title: string }) => `${t.source}: ${t.title}`)).toEqual([
        'order: new → PENDING',
        'webhook: stripe payment_intent.succeeded published',
        'order: PENDING → PAID',
        'payment: stripe payment succeeded: €15.00',
        'fulfillment: Fulfillment started',
        'fulfillment: Ticket CODE-1 issued (seat 1)',
        'fulfillment: Fulfillment completed',
        'partner: order.paid to https://partner.example/hook?token=[redacted]: failed',
      ]);
      expect(detail.unavailable).toEqual([{ service: 'notification', detail: 'The notification service failed (500)' }]);
      expect(detail.fulfillment.tickets[0]).not.toHaveProperty('qrPayload');
      expect(JSON.stringify(detail)).not.toContain('secret-entry');
      expect(detail.deliveries[0].url).toBe('https://partner.example/hook?token=[redacted]');
    });
  });

  describe('the customer order history', () => {
    const link = (claims: { email: string; instanceId: string | null; expiresAt?: number }, secret = LINK_SECRET) =>
      signCustomerLink(secret, { expiresAt: Math.floor(Date.now() / 1000) + 3_600, ...claims });
    const history = (token?: string) => fetch(`${served.url}/account/api/orders`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

    beforeAll(() => {
      const order = (orderId: string, instanceId: string, status: string) => ({
        orderId,
        instanceId,
        status,
        currency: 'eur',
        totalCents: 900,
        refundedCents: 0,
        lines: [{ lineId: `${orderId}-l1`, productId: 'app', name: 'App', quantity: 1, unitAmountCents: 900, kind: 'license' }],
        references: { wixOrderNumber: null },
        createdAt: new Date().toISOString(),
      });
      upstream.answer('GET /admin/customers/ada%40example.com/orders', { status: 200, body: { items: [order('ord_a1', 'shop-a', 'FULFILLED'), order('ord_b1', 'shop-b', 'FULFILLED'), order('ord_a2', 'shop-a', 'PENDING')] } });
      upstream.answer('GET /admin/orders/ord_a1/fulfillment?reveal=keys', {
        status: 200,
        body: { status: 'COMPLETED', tickets: [], licenses: [{ lineId: 'ord_a1-l1', productId: 'app', status: 'ASSIGNED', key: 'KEY-AAAA-1111', keyHint: '…1111' }] },
      });
    });

    it('shows the linked email’s orders at the linked shop, with the license keys of completed ones', async () => {
      const res = await history(link({ email: 'Ada@Example.com', instanceId: 'shop-a' }));
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const body = (await res.json()) as { email: string; orders: Array<Record<string, any>> };
      expect(body.email).toBe('ada@example.com');
      expect(body.orders.map((o) => o.orderId)).toEqual(['ord_a1', 'ord_a2']);
      expect(body.orders[0].licenses).toEqual([{ name: 'App', status: 'ASSIGNED', key: 'KEY-AAAA-1111', keyHint: '…1111' }]);
      expect(body.orders[1].licenses).toEqual([]);
      expect(JSON.stringify(body)).not.toContain('shop-b');
      // Nothing was asked about the other shop's order.
      expect(upstream.seen.some((s) => s.path.includes('ord_b1'))).toBe(false);
    });

    it('lets support make a fresh link for an order’s customer, for that customer and shop', async () => {
      upstream.answer('GET /admin/orders/ord_a1', { status: 200, body: { orderId: 'ord_a1', instanceId: 'shop-a', customer: { email: 'Ada@Example.com', name: null } } });
      const res = await (await signedIn()).fetch('/console/api/orders/ord_a1/customer-link', { method: 'POST' });
      expect(res.status).toBe(200);
      const { url } = (await res.json()) as { url: string };
      expect(url.startsWith(`${served.url}/account#v1.`)).toBe(true);
      expect(verifyCustomerLink(LINK_SECRET, url.split('#')[1])).toMatchObject({ ok: true, claims: { email: 'ada@example.com', instanceId: 'shop-a' } });
      expect((await history(url.split('#')[1])).status).toBe(200);
    });

    it('refuses no link, a forged one and an expired one, each with a clear answer', async () => {
      expect((await history()).status).toBe(401);
      const forged = await history(link({ email: 'ada@example.com', instanceId: 'shop-a' }, 'another-secret-that-is-long-enough-000'));
      expect(forged.status).toBe(401);
      expect(((await forged.json()) as { title: string }).title).toBe('Invalid link');
      const expired = await history(link({ email: 'ada@example.com', instanceId: 'shop-a', expiresAt: Math.floor(Date.now() / 1000) - 1 }));
      expect(expired.status).toBe(401);
      expect(((await expired.json()) as { detail: string }).detail).toContain('expired');
    });
  });

  describe('pages', () => {
    it('serves the console with its import map allowed by hash and nothing else inline', async () => {
      expect((await fetch(`${served.url}/console`, { redirect: 'manual' })).headers.get('location')).toBe('/console/');
      const res = await fetch(`${served.url}/console/`);
      const html = await res.text();
      const map = /<script type="importmap">(.*?)<\/script>/.exec(html)![1];
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain(`script-src 'self' 'sha256-${createHash('sha256').update(map).digest('base64')}'`);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      for (const file of Object.values(JSON.parse(map).imports as Record<string, string>)) {
        const module = await fetch(`${served.url}${file}`);
        expect(module.status).toBe(200);
        expect(module.headers.get('content-type')).toContain('text/javascript');
      }
      expect((await fetch(`${served.url}/console/assets/console/app.js`)).status).toBe(200);
      expect((await fetch(`${served.url}/console/assets/nothing.js`)).status).toBe(404);
      expect((await fetch(`${served.url}/account`)).status).toBe(200);
    });
  });
});
