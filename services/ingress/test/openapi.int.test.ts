import { answerDrift, routeDrift, validateOpenApi } from '@orderflow/service-testing';
import { INGRESS_OPERATIONS } from '../src/openapi';
import { paymentIntent, postStripe, stripeEvent, useIngressStack } from './support';

/**
 * The ingress's OpenAPI document against the ingress (issue 22): a valid 3.1 document, both
 * webhook routes documented and routed, and each kind of 200 matching the documented answer.
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

  it('documents both webhook routes, and nothing the ingress does not route', () => {
    expect(routeDrift(stack.running.ingress.app, INGRESS_OPERATIONS, ['/api/'])).toEqual({ missing: [], undocumented: [] });
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
});
