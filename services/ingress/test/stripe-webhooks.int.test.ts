import { Topics } from '@orderflow/events';
import Stripe from 'stripe';
import { startTestBroker, tempDir, waitFor, type TestBroker } from '@orderflow/testing';
import { scrapeMetrics } from '@orderflow/service-testing';
import {
  countOf,
  metricValue,
  METRICS_TOKEN,
  paymentIntent,
  postStripe,
  startIngress,
  stripeEvent,
  STRIPE_OLD_SECRET,
  STRIPE_SECRET,
  useIngressStack,
  ADMIN_TOKEN,
} from './support';

describe('POST /api/webhooks/stripe', () => {
  const stack = useIngressStack('ingress_stripe', { env: () => ({ REDIS_URL: 'redis://127.0.0.1:6379' }) });

  /** The logged row of a provider event ID, with its payload (and body, when quarantined). */
  const adminEvent = async (eventId: string): Promise<Record<string, unknown> & { id: string }> => {
    const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const { items } = (await (await fetch(`${stack.running.url}/admin/events?eventId=${encodeURIComponent(eventId)}`, { headers: auth })).json()) as { items: Array<{ id: string }> };
    const [item] = items;
    if (!item) throw new Error(`no logged event ${eventId}`);
    return (await (await fetch(`${stack.running.url}/admin/events/${item.id}`, { headers: auth })).json()) as Record<string, unknown> & { id: string };
  };

  it('publishes a verified payment_intent.succeeded keyed by metadata.orderId, with the Stripe event ID', async () => {
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-42'));
    const res = await postStripe(stack.running.url, event);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: true, eventId: event.id, outcome: 'published' });
    const message = await waitFor(() => stack.reader.received.find((r) => r.event.eventId === event.id));
    expect(message.topic).toBe(Topics.stripeIngress);
    expect(message.key).toBe('order-42');
    expect(message.event).toMatchObject({ type: 'payment_intent.succeeded', source: 'stripe', orderKey: 'order-42', instanceId: null, version: 1 });
    expect(message.event.traceId).toBe(res.headers.get('x-request-id'));
  });

  it('keys a charge without metadata by its PaymentIntent and a session by client_reference_id', async () => {
    const charge = stripeEvent('charge.refunded', { id: 'ch_1', object: 'charge', payment_intent: 'pi_for_charge', metadata: {} });
    const session = stripeEvent('checkout.session.completed', {
      id: 'cs_1',
      object: 'checkout.session',
      client_reference_id: 'order-from-session',
      payment_intent: 'pi_x',
      metadata: null,
    });
    expect((await postStripe(stack.running.url, charge)).status).toBe(200);
    expect((await postStripe(stack.running.url, session)).status).toBe(200);
    expect((await waitFor(() => stack.reader.received.find((r) => r.event.eventId === charge.id))).key).toBe('pi_for_charge');
    expect((await waitFor(() => stack.reader.received.find((r) => r.event.eventId === session.id))).key).toBe('order-from-session');
  });

  it('accepts the previous secret during a rotation', async () => {
    const event = stripeEvent('payment_intent.payment_failed', paymentIntent('order-rotated'));
    const res = await postStripe(stack.running.url, event, { secret: STRIPE_OLD_SECRET });
    expect(res.status).toBe(200);
    await waitFor(() => countOf(stack.reader.received, event.id) === 1);
  });

  it('refuses a wrong secret or a missing signature with 401, counts it and stores nothing', async () => {
    const before = await metricValue(stack.running.ingress, 'ingress_signature_failures_total', { source: 'stripe' });
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-forged'));
    const wrong = await postStripe(stack.running.url, event, { secret: 'whsec_attacker' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    const body = await wrong.text();
    expect(body).not.toMatch(/at \w+ \(|stack/);
    expect((await postStripe(stack.running.url, event, { signature: null })).status).toBe(401);
    expect((await postStripe(stack.running.url, event, { signature: 't=1,v1=deadbeef' })).status).toBe(401);
    expect(await metricValue(stack.running.ingress, 'ingress_signature_failures_total', { source: 'stripe' })).toBe(before + 3);
    const admin = await fetch(`${stack.running.url}/admin/events?type=payment_intent.succeeded&limit=200`, {
      headers: { authorization: 'Bearer admin-token-for-tests-0123456789' },
    });
    const { items } = (await admin.json()) as { items: Array<{ eventId: string }> };
    expect(items.some((i) => i.eventId === event.id)).toBe(false);
  });

  it('answers 400 for a verified body that is not JSON or not an event at all (no ID or type to log it by)', async () => {
    expect((await postStripe(stack.running.url, {}, { body: 'not json at all' })).status).toBe(400);
    expect((await postStripe(stack.running.url, { hello: 'world' })).status).toBe(400);
  });

  it('quarantines an authentic event the catalog refuses: 200 with the reason, logged, never published', async () => {
    const noObjectId = stripeEvent('payment_intent.succeeded', { object: 'payment_intent', metadata: {} });
    const res = await postStripe(stack.running.url, noObjectId);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ received: true, eventId: noObjectId.id, outcome: 'quarantined', reason: 'not a valid payment_intent.succeeded event' });
    expect(await metricValue(stack.running.ingress, 'ingress_quarantined_total', { source: 'stripe', reason: 'invalid_event' })).toBe(1);
    // The provider's retry is a duplicate of the logged row, not a second quarantine.
    expect(await (await postStripe(stack.running.url, noObjectId)).json()).toMatchObject({ outcome: 'duplicate' });
    expect(await metricValue(stack.running.ingress, 'ingress_quarantined_total', { source: 'stripe', reason: 'invalid_event' })).toBe(1);
    const marker = stripeEvent('payment_intent.succeeded', paymentIntent('after-quarantine'));
    await postStripe(stack.running.url, marker);
    await waitFor(() => countOf(stack.reader.received, marker.id) === 1);
    expect(countOf(stack.reader.received, noObjectId.id)).toBe(0);
  });

  it('answers 400 for a verified body of null, a number or a string, and counts none of them as a signature failure', async () => {
    const before = await metricValue(stack.running.ingress, 'ingress_signature_failures_total', { source: 'stripe' });
    for (const body of ['null', '0', '"evt"', 'true', '[]']) {
      const res = await postStripe(stack.running.url, {}, { body });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ status: 400, detail: 'not a Stripe event: id and type required' });
    }
    expect(await metricValue(stack.running.ingress, 'ingress_signature_failures_total', { source: 'stripe' })).toBe(before);
  });

  it('refuses a signature dated more than 5 minutes ahead, as it refuses one more than 5 minutes old', async () => {
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-dated-ahead'));
    const body = JSON.stringify(event);
    const signedAt = (seconds: number) => Stripe.webhooks.generateTestHeaderString({ payload: body, secret: STRIPE_SECRET, timestamp: Math.floor(Date.now() / 1000) + seconds });
    expect((await postStripe(stack.running.url, event, { body, signature: signedAt(24 * 3600) })).status).toBe(401);
    expect((await postStripe(stack.running.url, event, { body, signature: signedAt(-24 * 3600) })).status).toBe(401);
    // Within the tolerance either way (clocks differ): accepted.
    expect((await postStripe(stack.running.url, event, { body, signature: signedAt(60) })).status).toBe(200);
  });

  it('quarantines an event the log cannot store as it came, without failing the events accepted beside it', async () => {
    const bad = stripeEvent('payment_intent.succeeded', { ...paymentIntent('order-nul'), description: 'a\u0000b' });
    const good = Array.from({ length: 20 }, (_, i) => stripeEvent('payment_intent.succeeded', paymentIntent(`order-beside-${i}`)));
    const [badRes, ...goodRes] = await Promise.all([postStripe(stack.running.url, bad), ...good.map((e) => postStripe(stack.running.url, e))]);
    expect(badRes.status).toBe(200);
    expect(((await badRes.json()) as { reason: string }).reason).toMatch(/NUL/);
    expect(goodRes.map((r) => r.status)).toEqual(good.map(() => 200));
    await waitFor(() => good.every((e) => countOf(stack.reader.received, e.id) === 1));
    expect(countOf(stack.reader.received, bad.id)).toBe(0);
    const row = await adminEvent(bad.id);
    expect(row).toMatchObject({ status: 'quarantined', orderKey: 'order-nul', payload: null });
    expect(row.rawBody).toBe(JSON.stringify(bad));
  });

  it('quarantines, never a 5xx, an authentic event nested 10,000 deep or holding an unpaired surrogate, and stays up', async () => {
    const deep = stripeEvent('payment_intent.succeeded', paymentIntent('order-deep'));
    const nested = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const deepBody = JSON.stringify(deep).replace('"metadata":', `"extra":${nested},"metadata":`);
    const deepRes = await postStripe(stack.running.url, deep, { body: deepBody });
    expect(deepRes.status).toBe(200);
    expect(await deepRes.json()).toMatchObject({ outcome: 'quarantined', reason: 'the event is nested deeper than 64 levels' });
    expect((await adminEvent(deep.id)).rawBody).toBe(deepBody);

    // JSON escapes of unpaired surrogates (a high one in a value, a low one in a key): valid JSON,
    // not Unicode text, and refused by jsonb.
    for (const [n, field] of ['"description":"a\\ud800b"', '"x\\udc00":1'].entries()) {
      const lone = stripeEvent('payment_intent.succeeded', paymentIntent(`order-lone-${n}`));
      const loneRes = await postStripe(stack.running.url, lone, { body: JSON.stringify(lone).replace('"metadata":', `${field},"metadata":`) });
      expect(loneRes.status).toBe(200);
      expect(((await loneRes.json()) as { reason: string }).reason).toMatch(/unpaired UTF-16 surrogate/);
      expect(countOf(stack.reader.received, lone.id)).toBe(0);
    }
    expect(await metricValue(stack.running.ingress, 'ingress_quarantined_total', { source: 'stripe', reason: 'invalid_text' })).toBeGreaterThanOrEqual(2);
    // A surrogate pair (an emoji) is text like any other.
    const emoji = stripeEvent('payment_intent.succeeded', { ...paymentIntent('order-emoji'), description: 'gift \ud83c\udf81' });
    expect(await (await postStripe(stack.running.url, emoji)).json()).toMatchObject({ outcome: 'published' });
    expect((await fetch(`${stack.running.url}/healthz`)).status).toBe(200);
  });

  it('quarantines at once an authentic event whose identifiers are past the limits, logged under a digest of its ID, and publishes nothing', async () => {
    // 200,000 characters of order ID (a 201 KB body, under the 1 MB limit) once froze the pipeline.
    const huge = stripeEvent('payment_intent.succeeded', paymentIntent('o'.repeat(200_000)));
    const started = Date.now();
    const res = await postStripe(stack.running.url, huge);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'quarantined', reason: "the event's order reference is longer than 255 characters" });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await adminEvent(huge.id)).orderKey).toBeNull();

    const longId = stripeEvent('payment_intent.succeeded', paymentIntent('order-long-id'), `evt_${'x'.repeat(252)}`);
    const longRes = (await (await postStripe(stack.running.url, longId)).json()) as { outcome: string; eventId: string };
    expect(longRes).toMatchObject({ outcome: 'quarantined', eventId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    expect(await (await postStripe(stack.running.url, longId)).json()).toMatchObject({ outcome: 'duplicate', eventId: longRes.eventId });
    expect((await adminEvent(longRes.eventId)).orderKey).toBe('order-long-id');
    // At the limit: accepted.
    const atLimit = stripeEvent('payment_intent.succeeded', paymentIntent('k'.repeat(255)), `evt_${'y'.repeat(251)}`);
    expect(await (await postStripe(stack.running.url, atLimit)).json()).toMatchObject({ outcome: 'published' });
    await waitFor(() => countOf(stack.reader.received, atLimit.id) === 1);
    expect(countOf(stack.reader.received, huge.id) + countOf(stack.reader.received, longId.id)).toBe(0);
  });

  it('publishes an event dated where no envelope can carry it with its time of receipt, never a 503 (found by the fuzz suite)', async () => {
    const event = { ...stripeEvent('payment_intent.succeeded', paymentIntent('order-far-future')), created: 8_640_000_000_000 };
    const res = await postStripe(stack.running.url, event);
    expect(await res.json()).toMatchObject({ outcome: 'published' });
    const message = await waitFor(() => stack.reader.received.find((r) => r.event.eventId === event.id));
    expect(Math.abs(Date.parse(message.event.occurredAt) - Date.now())).toBeLessThan(60_000);
  });

  it('quarantines an event too large for one Kafka message instead of answering 503 to every retry', async () => {
    const event = stripeEvent('payment_intent.succeeded', { ...paymentIntent('order-too-large'), description: '' });
    const fill = 1_048_576 - JSON.stringify(event).length;
    const body = JSON.stringify({ ...event, data: { object: { ...event.data.object, description: 'x'.repeat(fill) } } });
    expect(Buffer.byteLength(body)).toBe(1_048_576);
    const res = await postStripe(stack.running.url, event, { body });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'quarantined', reason: 'the event is larger than Kafka accepts in one message' });
    expect(await (await postStripe(stack.running.url, event, { body })).json()).toMatchObject({ outcome: 'duplicate' });
    expect(await metricValue(stack.running.ingress, 'ingress_quarantined_total', { source: 'stripe', reason: 'too_large' })).toBe(1);
    const row = await adminEvent(event.id);
    expect(row).toMatchObject({ status: 'quarantined', orderKey: 'order-too-large' });
    expect(row).not.toHaveProperty('rawBody');
    // Replaying it meets the same limit: refused with the reason, still quarantined.
    const replay = await fetch(`${stack.running.url}/admin/events/${row.id}/replay`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(replay.status).toBe(409);
    expect((await adminEvent(event.id)).status).toBe('quarantined');
    const marker = stripeEvent('payment_intent.succeeded', paymentIntent('order-too-large'));
    await postStripe(stack.running.url, marker);
    await waitFor(() => countOf(stack.reader.received, marker.id) === 1);
    expect(countOf(stack.reader.received, event.id)).toBe(0);
  });

  it('answers 415 for another content type and 413 for a body over 1 MB', async () => {
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('o'));
    expect((await postStripe(stack.running.url, event, { contentType: 'text/plain' })).status).toBe(415);
    const big = stripeEvent('payment_intent.succeeded', { ...paymentIntent('o'), padding: 'x'.repeat(1_100_000) });
    const res = await postStripe(stack.running.url, big);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('acknowledges other event types with 200, records them as ignored and publishes nothing', async () => {
    const event = stripeEvent('customer.created', { id: 'cus_1', object: 'customer', metadata: {} });
    const res = await postStripe(stack.running.url, event);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: 'ignored' });
    expect(await metricValue(stack.running.ingress, 'ingress_webhook_requests_total', { source: 'stripe', type: 'customer.created', outcome: 'ignored' })).toBe(1);
    const marker = stripeEvent('payment_intent.succeeded', paymentIntent('after-ignored'));
    await postStripe(stack.running.url, marker);
    await waitFor(() => countOf(stack.reader.received, marker.id) === 1);
    expect(countOf(stack.reader.received, event.id)).toBe(0);
    const list = await fetch(`${stack.running.url}/admin/events?status=ignored`, { headers: { authorization: 'Bearer admin-token-for-tests-0123456789' } });
    const { items } = (await list.json()) as { items: Array<{ eventId: string; status: string }> };
    expect(items.find((i) => i.eventId === event.id)?.status).toBe('ignored');
  });

  it('publishes an event delivered 10 times concurrently exactly once and answers every delivery 200', async () => {
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-dup'));
    const answers = await Promise.all(Array.from({ length: 10 }, () => postStripe(stack.running.url, event)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const outcomes = await Promise.all(answers.map(async (a) => ((await a.json()) as { outcome: string }).outcome));
    expect(outcomes.filter((o) => o === 'published')).toHaveLength(1);
    // A later event on the same key proves the reader has caught up past any second copy.
    const marker = stripeEvent('payment_intent.succeeded', paymentIntent('order-dup'));
    await postStripe(stack.running.url, marker);
    await waitFor(() => countOf(stack.reader.received, marker.id) === 1);
    expect(countOf(stack.reader.received, event.id)).toBe(1);
    expect(await metricValue(stack.running.ingress, 'ingress_duplicates_total', { source: 'stripe' })).toBeGreaterThanOrEqual(9);
    // A sequential redelivery later is a duplicate too, counted on the same row.
    expect(await (await postStripe(stack.running.url, event)).json()).toMatchObject({ outcome: 'duplicate' });
    const list = await fetch(`${stack.running.url}/admin/events?type=payment_intent.succeeded&limit=200`, {
      headers: { authorization: 'Bearer admin-token-for-tests-0123456789' },
    });
    const { items } = (await list.json()) as { items: Array<{ eventId: string; duplicates: number }> };
    const rows = items.filter((i) => i.eventId === event.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.duplicates).toBe(10);
  });

  it('serves its metrics on /metrics', async () => {
    const text = await scrapeMetrics(stack.running.url, METRICS_TOKEN);
    expect(text).toMatch(/ingress_webhook_requests_total\{[^}]*source="stripe"[^}]*outcome="published"/);
    expect(text).toContain('ingress_webhook_duration_seconds_bucket');
  });
});

describe('rate limiting of webhooks', () => {
  let broker: TestBroker;
  const dirs: ReturnType<typeof tempDir>[] = [];
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker.stop();
    for (const dir of dirs) dir.remove();
  });

  async function limitedIngress(env: Record<string, string> = {}) {
    const dir = tempDir();
    dirs.push(dir);
    return startIngress({ KAFKA_BROKERS: broker.brokers.join(','), DATA_DIR: dir.path, RATE_LIMIT_POINTS: '3', RATE_LIMIT_WINDOW: '60s', ...env });
  }

  /** Statuses of `count` forged events (a wrong signature), sent one after another with `headers`. */
  async function forgedStatusesOf(url: string, count: number, headers: Record<string, string> = {}): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < count; i += 1) {
      const res = await postStripe(url, stripeEvent('customer.updated', { id: 'cus', object: 'customer', metadata: {} }), { headers, signature: 't=1,v1=deadbeef' });
      statuses.push(res.status);
    }
    return statuses;
  }

  it('never refuses a correctly signed webhook: a burst past the limit from one address is accepted', async () => {
    const running = await limitedIngress({ REDIS_URL: 'redis://127.0.0.1:6379' });
    try {
      const statuses = await Promise.all(
        Array.from({ length: 20 }, (_, i) => postStripe(running.url, stripeEvent('customer.updated', { id: `cus_${i}`, object: 'customer', metadata: {} })).then((r) => r.status)),
      );
      expect(statuses).toEqual(Array.from({ length: 20 }, () => 200));
    } finally {
      await running.close();
    }
  });

  it('answers 429 with Retry-After to what fails verification once a client IP used its points, and still accepts its signed webhooks', async () => {
    const running = await limitedIngress({ REDIS_URL: 'redis://127.0.0.1:6379' });
    try {
      expect(await forgedStatusesOf(running.url, 3)).toEqual([401, 401, 401]);
      const limited = await postStripe(running.url, stripeEvent('customer.updated', { id: 'cus', object: 'customer', metadata: {} }), { signature: 't=1,v1=deadbeef' });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('content-type')).toContain('application/problem+json');
      // The same address, correctly signed: accepted.
      expect((await postStripe(running.url, stripeEvent('customer.updated', { id: 'cus', object: 'customer', metadata: {} }))).status).toBe(200);
      const metrics = await scrapeMetrics(running.url, METRICS_TOKEN);
      expect(metrics).toMatch(/ingress_webhook_requests_total\{[^}]*outcome="rate_limited"[^}]*\} 1\b/);
    } finally {
      await running.close();
    }
  });

  it('ignores X-Forwarded-For unless the proxy is trusted, then limits each forwarded client alone', async () => {
    const direct = await limitedIngress();
    try {
      // A client cannot escape its limit by naming another address.
      const forged = ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4'];
      const statuses = [];
      for (const address of forged) statuses.push(...(await forgedStatusesOf(direct.url, 1, { 'x-forwarded-for': address })));
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await direct.close();
    }

    const proxied = await limitedIngress({ TRUST_PROXY: 'loopback' });
    try {
      expect(await forgedStatusesOf(proxied.url, 4, { 'x-forwarded-for': '203.0.113.1' })).toEqual([401, 401, 401, 429]);
      // Another client behind the same proxy has its own points.
      expect(await forgedStatusesOf(proxied.url, 1, { 'x-forwarded-for': '203.0.113.2' })).toEqual([401]);
    } finally {
      await proxied.close();
    }
  });
});

describe('signature-failure alerts', () => {
  const stack = useIngressStack('ingress_signature_alerts', { env: () => ({ SIGNATURE_ALERT_WINDOW: '200ms' }), topic: Topics.operations });

  it('publishes one count per window of refused signatures, with a few reasons and never a payload', async () => {
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-forged'));
    for (const signature of ['t=1,v1=deadbeef', null, 't=2,v1=cafe']) expect((await postStripe(stack.running.url, event, { signature })).status).toBe(401);

    // The three may straddle a window boundary: the counts add up either way.
    const reports = () => stack.reader.received.filter((r) => r.event.type === 'ingress.signature_failures').map((r) => r.event.payload as { total: number; bySource: Record<string, number>; reasons: string[] });
    await waitFor(() => reports().reduce((sum, r) => sum + r.total, 0) === 3);
    expect(reports().reduce((sum, r) => sum + (r.bySource.stripe ?? 0), 0)).toBe(3);
    expect(reports().every((r) => r.reasons.length > 0)).toBe(true);
    expect(JSON.stringify(reports())).not.toContain('order-forged');
  });
});
