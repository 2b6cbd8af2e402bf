import { documentedCalls, routeDrift, sharedAdminDrift, validateOpenApi } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import { ORDER_OPERATIONS } from '../src/api/openapi';
import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, api, fromStripe, orderWhen, SHOP_A, useOrderStack } from './support';

const operation = (operationId: string) => ORDER_OPERATIONS.find((op) => op.operationId === operationId)!;

/**
 * The order service's OpenAPI document against the service (issue 22): a valid 3.1 document,
 * every documented route routed and every shop-facing and support route documented, and what
 * the routes answer to the documented examples, followed through one paid order and support's
 * actions on two more, matching its schemas.
 */
describe('the order service’s OpenAPI document', () => {
  const stack = useOrderStack('order_openapi');

  it('is served at /openapi.json and is a valid OpenAPI 3.1 document', async () => {
    const res = await fetch(`${stack.running.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(['/api/checkout', '/api/checkout/status', '/external/order/status', '/external/checkouts', '/external/orders', '/health/checkout', '/admin/orders', '/admin/orders/{id}', '/admin/customers/{email}/orders', '/admin/payments/unmatched', '/admin/orders/{id}/complete', '/admin/orders/{id}/refund', '/admin/orders/{id}/retry-fulfillment', '/admin/capacities/{key}', '/admin/order/api-keys', '/admin/order/api-keys/{id}', '/admin/order/api-keys/{id}/revoke', '/admin/order/outbox/set-aside', '/admin/order/outbox/set-aside/{id}/requeue', '/admin/order/outbox/set-aside/{id}/discard']);
    const verdict = await validateOpenApi(document);
    expect(verdict.output).toContain('"valid": true');
  });

  it('documents every shop-facing and support route, and nothing the service does not route', () => {
    expect(routeDrift(stack.running.service.app, ORDER_OPERATIONS, 'order')).toEqual({ missing: [], undocumented: [] });
  });

  it('documents the API keys and set-aside outbox rows at /admin/order/..., and answers them as documented', async () => {
    expect(await sharedAdminDrift(stack.running.url, ADMIN_TOKEN, 'order')).toEqual([]);
  });

  it('answers the documented examples as documented, through one paid order', async () => {
    const { call, drift } = documentedCalls(ORDER_OPERATIONS, (op, path, body) => api(stack.running.url, path, { key: SHOP_A.key, method: op.method.toUpperCase(), body }));
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

  it('answers support’s routes as documented, through an order paid by Stripe, then retried and refunded, and one completed by hand', async () => {
    const { call, drift } = documentedCalls(ORDER_OPERATIONS, (op, path, body) => api(stack.running.url, path, { admin: true, method: op.method.toUpperCase(), body }));
    const email = `support-${randomUUID()}@example.com`;
    const checkout = async () => {
      const body = { ...(operation('startCheckout').body!.example as object), cartId: `cart-${randomUUID()}`, customer: { email, name: null } };
      return (await api(stack.running.url, '/api/checkout', { key: SHOP_A.key, method: 'POST', body })).body as { orderId: string; paymentIntentId: string };
    };
    const paid = await checkout();
    const byHand = await checkout();
    expect((await call('getCheckoutHealth', '/health/checkout')).body.status).toBe('healthy');

    expect((await call('refundOrder', `/admin/orders/${paid.orderId}/refund`, {})).status).toBe(409);
    stack.stripe.succeed(paid.paymentIntentId);
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.succeeded', stack.stripe.paymentIntent(paid.paymentIntentId)), paid.orderId));
    await orderWhen(stack.running.url, paid.orderId, (o) => o.status === 'APPROVED');
    expect((await call('retryOrderFulfillment', `/admin/orders/${paid.orderId}/retry-fulfillment`)).status).toBe(202);
    expect((await call('refundOrder', `/admin/orders/${paid.orderId}/refund`, operation('refundOrder').body!.example)).status).toBe(202);
    expect((await call('completeOrder', `/admin/orders/${byHand.orderId}/complete`)).status).toBe(200);
    expect((await call('completeOrder', `/admin/orders/${byHand.orderId}/complete`)).status).toBe(409);

    expect((await call('listAdminOrders', `/admin/orders?q=${encodeURIComponent(email)}`)).body.items).toHaveLength(2);
    expect((await call('listAdminOrders', '/admin/orders?status=LOST')).status).toBe(400);
    expect((await call('getAdminOrder', `/admin/orders/${paid.orderId}`)).body.payments).toHaveLength(1);
    expect((await call('getAdminOrder', '/admin/orders/ord_missing')).status).toBe(404);
    expect((await call('listCustomerOrders', `/admin/customers/${encodeURIComponent(email)}/orders`)).body.items).toHaveLength(2);

    const stray = { ...stack.stripe.paymentIntent(paid.paymentIntentId), id: `pi_${randomUUID().replace(/-/g, '')}`, metadata: {} };
    await stack.publish(fromStripe(stack.stripe.event('payment_intent.succeeded', stray), stray.id));
    await waitFor(async () => ((await call('listUnmatchedPayments', '/admin/payments/unmatched')).body.items as Array<{ providerPaymentRef: string }>).some((p) => p.providerPaymentRef === stray.id));
    expect((await call('setCapacity', '/admin/capacities/gala-2026', operation('setCapacity').body!.example)).status).toBe(200);
    expect(drift).toEqual([]);
  });
});
