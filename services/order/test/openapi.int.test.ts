import { answerDrift, routeDrift, sharedAdminDrift, validateOpenApi } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import { ORDER_OPERATIONS } from '../src/api/openapi';
import { ADMIN_TOKEN, api, fromStripe, SHOP_A, useOrderStack } from './support';

const operation = (operationId: string) => ORDER_OPERATIONS.find((op) => op.operationId === operationId)!;

/**
 * The order service's OpenAPI document against the service (issue 22): a valid 3.1 document,
 * every documented route routed and every shop-facing route documented, and what the routes
 * answer to the documented examples, followed through one paid order, matching its schemas.
 */
describe('the order service’s OpenAPI document', () => {
  const stack = useOrderStack('order_openapi');

  it('is served at /openapi.json and is a valid OpenAPI 3.1 document', async () => {
    const res = await fetch(`${stack.running.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(['/api/checkout', '/api/checkout/status', '/external/order/status', '/external/checkouts', '/external/orders', '/admin/order/api-keys', '/admin/order/api-keys/{id}', '/admin/order/api-keys/{id}/revoke', '/admin/order/outbox/set-aside', '/admin/order/outbox/set-aside/{id}/requeue', '/admin/order/outbox/set-aside/{id}/discard']);
    const verdict = await validateOpenApi(document);
    expect(verdict.output).toContain('"valid": true');
  });

  it('documents every shop-facing route, and nothing the service does not route', () => {
    expect(routeDrift(stack.running.service.app, ORDER_OPERATIONS, ['/api/', '/external/', '/admin/order/'])).toEqual({ missing: [], undocumented: [] });
  });

  it('documents the API keys and set-aside outbox rows at /admin/order/..., and answers them as documented', async () => {
    expect(await sharedAdminDrift(stack.running.url, ADMIN_TOKEN, 'order')).toEqual([]);
  });

  it('answers the documented examples as documented, through one paid order', async () => {
    const drift: string[] = [];
    const call = async (operationId: string, path: string, body?: unknown) => {
      const op = operation(operationId);
      const res = await api(stack.running.url, path, { key: SHOP_A.key, method: op.method.toUpperCase(), body });
      drift.push(...answerDrift(op, res.status, res.body));
      return res;
    };
    const example = operation('startCheckout').body!.example as { cartId: string };
    const started = await call('startCheckout', '/api/checkout', example);
    expect(started.status).toBe(201);
    await call('getCheckoutStatus', `/api/checkout/status?cartId=${example.cartId}`);
    stack.stripe.succeed(started.body.paymentIntentId);
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.succeeded', stack.stripe.paymentIntent(started.body.paymentIntentId)), started.body.orderId));
    await waitFor(async () => (await api(stack.running.url, `/external/order/status?orderId=${started.body.orderId}`, { key: SHOP_A.key })).body.status !== 'PENDING');
    await call('getExternalOrderStatus', `/external/order/status?orderId=${started.body.orderId}`);
    const tracked = operation('trackExternalCheckout').body!.example;
    expect((await call('trackExternalCheckout', '/external/checkouts', tracked)).status).toBe(201);
    expect((await call('trackExternalCheckout', '/external/checkouts', tracked)).status).toBe(200);
    await call('getExternalOrderStatus', `/external/order/status?checkoutId=chk_7a1`);
    const page = await call('listExternalOrders', '/external/orders?limit=1');
    expect(page.body.items).toHaveLength(1);
    expect(drift).toEqual([]);
  });
});
