import { readFileSync } from 'node:fs';
import { ORIGIN_SERVICES, qualifiedPaths, SHARED_ADMIN_SERVICES, DOCUMENTED_SERVICES } from '@orderflow/http';
import { callApi, validateOpenApi } from '@orderflow/service-testing';
import { tempDir, waitFor } from '@orderflow/testing';
import { startOneMachine, type LocalSecrets, type OneMachine } from '../src';
import { PartnerEndpoint } from './support/partner-endpoint';
import { deliver, paymentIntentSucceeded, purchase } from './support/stripe-webhooks';

/** Each service's `service` label in its metrics. */
const METRICS_LABEL = { ingress: 'ingress', order: 'order', fulfillment: 'fulfillment', notification: 'notification', dispatch: 'outbound-dispatch', console: 'console' };

/**
 * `npm start`'s one origin over real HTTP: every public route answers on the one port and
 * reaches its service (told apart by what only that service can answer), the whole system's
 * health, readiness, metrics and API document are the origin's, and a partner registered there
 * with the seeds' body receives the order a signed Stripe webhook sent there.
 */
describe('one machine: the one origin', () => {
  const dir = tempDir();
  let machine: OneMachine;
  let secrets: LocalSecrets;
  let partner: PartnerEndpoint;
  let origin: string;
  const admin = (path: string, init: { method?: string; body?: unknown } = {}) => callApi(origin, path, { bearer: secrets.ADMIN_TOKEN, ...init });

  beforeAll(async () => {
    machine = await startOneMachine({ DATA_DIR: dir.path, PORT: '0', KAFKA_PORT: '0', LOG_LEVEL: 'silent' });
    secrets = JSON.parse(readFileSync(machine.secretsFile, 'utf8')) as LocalSecrets;
    partner = await PartnerEndpoint.start();
    origin = machine.url;
  });
  afterAll(async () => {
    await machine?.stop();
    await partner?.close();
    dir.remove();
  });

  it("is its own port, none of the services'", () => {
    expect(Object.values(machine.urls)).not.toContain(origin);
  });

  it("answers each service's own health, readiness and metrics at its qualified path", async () => {
    for (const service of ORIGIN_SERVICES) {
      const q = qualifiedPaths(service);
      expect([service, (await fetch(`${origin}${q.healthz}`)).status]).toEqual([service, 200]);
      expect([service, (await fetch(`${origin}${q.readyz}`)).status]).toEqual([service, 200]);
      const metrics = await fetch(`${origin}${q.metrics}`, { headers: { authorization: `Bearer ${secrets.METRICS_TOKEN}` } });
      const text = await metrics.text();
      expect(text).toMatch(new RegExp(`^process_cpu_user_seconds_total\\{service="${METRICS_LABEL[service]}"\\}`, 'm'));
      expect(text.match(/^process_cpu_user_seconds_total\{/gm)).toHaveLength(1);
    }
  });

  it("answers the whole system's health, readiness and metrics at /healthz, /readyz and /metrics", async () => {
    for (const path of ['/healthz', '/readyz']) {
      const answer = await callApi(origin, path);
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body.services).sort()).toEqual([...ORIGIN_SERVICES].sort());
    }
    expect((await fetch(`${origin}/metrics`)).status).toBe(401);
    const text = await (await fetch(`${origin}/metrics`, { headers: { authorization: `Bearer ${secrets.METRICS_TOKEN}` } })).text();
    expect(text.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
    for (const service of ORIGIN_SERVICES) expect(text).toContain(`process_cpu_user_seconds_total{service="${METRICS_LABEL[service]}"}`);
  });

  it('serves one OpenAPI document for every API, valid, and each service its own', async () => {
    const merged = await callApi(origin, '/openapi.json');
    expect(merged.status).toBe(200);
    const { valid, output } = await validateOpenApi(merged.body);
    expect([valid, output]).toEqual([true, expect.anything()]);
    expect(Object.keys(merged.body.paths)).toEqual(expect.arrayContaining(['/api/webhooks/stripe', '/api/checkout', '/external/webhooks']));
    for (const service of DOCUMENTED_SERVICES) {
      const own = await callApi(machine.urls[service], '/openapi.json');
      expect((await callApi(origin, qualifiedPaths(service).openapi)).body).toEqual(own.body);
    }
  });

  it('answers the console, the customer history and the front door, and a problem for what it does not know', async () => {
    const front = await fetch(`${origin}/`, { redirect: 'manual' });
    expect([front.status, front.headers.get('location')]).toEqual([302, '/console/']);
    for (const page of ['/console/', '/account']) {
      const answer = await fetch(`${origin}${page}`);
      expect([page, answer.status, answer.headers.get('content-type')]).toEqual([page, 200, expect.stringContaining('text/html')]);
    }
    const unknown = await fetch(`${origin}/wp-login.php`);
    expect([unknown.status, unknown.headers.get('content-type')]).toEqual([404, 'application/problem+json']);
    expect((await callApi(origin, '/admin/orders', { bearer: 'not-the-admin-token' })).status).toBe(401);
  });

  it("keeps each service's API keys and set-aside rows apart under /admin/<service>, and audits the client the origin names", async () => {
    const created = await callApi(origin, '/admin/order/api-keys', { bearer: secrets.ADMIN_TOKEN, method: 'POST', body: { instanceId: 'origin-test' } });
    expect(created.status).toBe(201);
    for (const service of SHARED_ADMIN_SERVICES) {
      const listed = await admin(`/admin/${service}/api-keys?instanceId=origin-test`);
      expect([service, listed.status, listed.body.items.length]).toEqual([service, 200, service === 'order' ? 1 : 0]);
      expect([service, (await admin(`/admin/${service}/outbox/set-aside`)).body]).toEqual([service, { items: [] }]);
    }
    // The spoofed address is not believed: the origin names its peer, which is this test.
    const spoofed = await fetch(`${origin}/admin/order/api-keys/${created.body.id}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${secrets.ADMIN_TOKEN}`, 'x-forwarded-for': '203.0.113.9' } });
    expect(spoofed.status).toBe(200);
    const audit = (await admin(`/admin/order/api-keys/${created.body.id}`)).body.audit as Array<{ action: string; remoteAddress: string }>;
    expect(audit.map((row) => [row.action, row.remoteAddress])).toEqual([
      ['created', expect.stringMatching(/127\.0\.0\.1$/)],
      ['revoked', expect.stringMatching(/127\.0\.0\.1$/)],
    ]);
  });

  it("takes a partner registered with the seeds' body and a signed Stripe webhook, and every admin view of the order, all on the one origin", async () => {
    const apiKey = secrets.API_KEYS.slice(secrets.API_KEYS.indexOf(':') + 1);
    const registered = await callApi(origin, '/external/webhooks', { bearer: apiKey, method: 'POST', body: { url: partner.url, events: ['order.completed'] } });
    expect(registered.status).toBe(201);
    partner.secret = registered.body.secret;

    const p = purchase({ instanceId: 'local', email: 'ada@example.com', name: 'Ada', items: [{ productId: 'gift-card', name: 'Gift card', quantity: 1, unitAmountCents: 1_500, kind: 'external' }] });
    const { orderId } = p;
    const paid = paymentIntentSucceeded(p);
    expect(await deliver(origin, secrets.STRIPE_WEBHOOK_SECRET, paid)).toBe(200);

    const delivered = await waitFor(() => partner.of(orderId).find((d) => d.type === 'order.completed'), { timeoutMs: 30_000, description: 'the partner to receive order.completed' });
    expect(delivered.data.orderId).toBe(orderId);
    await waitFor(async () => (await admin(`/admin/orders/${orderId}`)).body.status === 'FULFILLED' || undefined, { timeoutMs: 30_000, description: 'the order to be fulfilled' });
    expect((await admin(`/admin/fulfillments/${orderId}`)).body.status).toBe('COMPLETED');
    expect((await admin('/admin/events?status=published')).body.items.map((e: { eventId: string }) => e.eventId)).toContain(paid.id);
    expect((await admin('/admin/subscriptions')).body.items.map((s: { id: string }) => s.id)).toContain(registered.body.id);
    const mail = await waitFor(async () => (await admin('/admin/mailbox?channel=email')).body.items.find((m: { orderId: string; recipient: string }) => m.orderId === orderId && m.recipient === 'ada@example.com'), {
      timeoutMs: 30_000,
      description: "the customer's mail in the mailbox",
    });
    expect((await fetch(`${origin}/admin/mailbox/${mail.id}/html`, { headers: { authorization: `Bearer ${secrets.ADMIN_TOKEN}` } })).status).toBe(200);
  });
});
