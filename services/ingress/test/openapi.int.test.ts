import { answerDrift, documentedCalls, routeDrift, validateOpenApi } from '@orderflow/service-testing';
import { INGRESS_OPERATIONS } from '../src/api/openapi';
import { ADMIN_TOKEN, paymentIntent, postStripe, stripeEvent, useIngressStack } from './support';

/**
 * The ingress's OpenAPI document against the ingress (issue 22): a valid 3.1 document, the
 * webhook routes and the event log's documented and routed, each kind of 200 matching the
 * documented answer, and the event log answering as documented.
 */
describe('the ingress’s OpenAPI document', () => {
  const stack = useIngressStack('ingress_openapi', {
    env: async () => {
      const jose = await import('jose');
      const pair = await jose.generateKeyPair('RS256', { extractable: true });
      return { WIX_PUBLIC_KEY: (await jose.exportSPKI(pair.publicKey)).replace(/\n/g, '\\n') };
    },
  });

  it('is served at /openapi.json and is a valid OpenAPI 3.1 document', async () => {
    const document = await (await fetch(`${stack.running.url}/openapi.json`)).json();
    expect((await validateOpenApi(document)).output).toContain('"valid": true');
  });

  it('documents the webhook and event log routes, and nothing the ingress does not route', () => {
    expect(routeDrift(stack.running.ingress.app, INGRESS_OPERATIONS, 'ingress')).toEqual({ missing: [], undocumented: [] });
  });

  it('answers published, duplicate, ignored and quarantined as documented', async () => {
    const stripe = INGRESS_OPERATIONS.find((op) => op.operationId === 'receiveStripeWebhook')!;
    const event = stripeEvent('payment_intent.succeeded', paymentIntent('order-openapi'));
    const bodies = [event, event, stripeEvent('customer.created', { id: 'cus_1', object: 'customer' }), stripeEvent('payment_intent.succeeded', { object: 'payment_intent' })];
    const drift: string[] = [];
    const outcomes: string[] = [];
    for (const body of bodies) {
      const res = await postStripe(stack.running.url, body);
      const answer = (await res.json()) as { outcome: string };
      outcomes.push(answer.outcome);
      drift.push(...answerDrift(stripe, res.status, answer));
    }
    expect(outcomes).toEqual(['published', 'duplicate', 'ignored', 'quarantined']);
    expect(drift).toEqual([]);
  });

  it('answers the event log’s list, detail and replay as documented', async () => {
    const { call, drift } = documentedCalls(INGRESS_OPERATIONS, async (op, path) => {
      const res = await fetch(`${stack.running.url}${path}`, { method: op.method.toUpperCase(), headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    });
    const published = stripeEvent('payment_intent.succeeded', paymentIntent('order-openapi-log'));
    const ignored = stripeEvent('customer.created', { id: 'cus_2', object: 'customer' });
    const quarantined = stripeEvent('payment_intent.succeeded', { object: 'payment_intent' });
    for (const body of [published, ignored, quarantined]) expect((await postStripe(stack.running.url, body)).status).toBe(200);

    const listed = await call('listEvents', '/admin/events?source=stripe&limit=200');
    const row = (eventId: string) => (listed.body.items as Array<{ id: string; eventId: string }>).find((r) => r.eventId === eventId)!.id;
    expect((await call('getEvent', `/admin/events/${row(published.id)}`)).body.payload).toMatchObject({ id: published.id });
    expect((await call('getEvent', `/admin/events/${row(quarantined.id)}`)).body.rawBody).toEqual(expect.any(String));
    expect((await call('getEvent', '/admin/events/999999999')).status).toBe(404);
    expect((await call('replayEvent', `/admin/events/${row(published.id)}/replay`)).status).toBe(200);
    expect((await call('replayEvent', `/admin/events/${row(ignored.id)}/replay`)).status).toBe(409);
    expect((await call('replayEvent', `/admin/events/${row(quarantined.id)}/replay`)).status).toBe(409);
    expect((await call('listEvents', '/admin/events?status=bogus')).status).toBe(400);
    expect(drift).toEqual([]);
  });
});
