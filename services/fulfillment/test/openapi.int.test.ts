import { randomUUID } from 'node:crypto';
import { answerDrift, documentedCalls, routeDrift, sharedAdminDrift, validateOpenApi } from '@orderflow/service-testing';
import { FULFILLMENT_OPERATIONS } from '../src/api/openapi';
import { ADMIN_TOKEN, addKeys, api, approvedOrder, freshKeys, outcome, SHOP_A, SHOP_B, useFulfillmentStack } from './support';

const operation = (operationId: string) => FULFILLMENT_OPERATIONS.find((op) => op.operationId === operationId)!;

/**
 * The fulfillment service's OpenAPI document against the service (issue 22): a valid 3.1
 * document, every shop-facing and support route documented and routed, and what the routes
 * answer — through one fulfilled order with a ticket and a license, then refunded, and one that
 * failed on an exhausted pool until support added keys and retried it — matching its schemas.
 */
describe('the fulfillment service’s OpenAPI document', () => {
  const stack = useFulfillmentStack('fulfillment_openapi');

  it('is served at /openapi.json and is a valid OpenAPI 3.1 document', async () => {
    const res = await fetch(`${stack.running.url}/openapi.json`);
    expect(res.status).toBe(200);
    const document = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(['/api/orders/{orderId}/fulfillment', '/api/tickets/verify', '/admin/license-pools/{productId}/keys', '/admin/license-pools', '/admin/fulfillments', '/admin/fulfillments/{orderId}', '/admin/fulfillments/{orderId}/retry', '/admin/fulfillment/api-keys', '/admin/fulfillment/api-keys/{id}', '/admin/fulfillment/api-keys/{id}/revoke', '/admin/fulfillment/outbox/set-aside', '/admin/fulfillment/outbox/set-aside/{id}/requeue', '/admin/fulfillment/outbox/set-aside/{id}/discard']);
    const verdict = await validateOpenApi(document);
    expect(verdict.output).toContain('"valid": true');
    expect(await (await fetch(`${stack.running.url}/openapi/fulfillment.json`)).json()).toEqual(document);
  });

  it('documents every shop-facing and support route, and nothing the service does not route', () => {
    expect(routeDrift(stack.running.service.app, FULFILLMENT_OPERATIONS, 'fulfillment')).toEqual({ missing: [], undocumented: [] });
  });

  it('documents the API keys and set-aside outbox rows at /admin/fulfillment/..., and answers them as documented', async () => {
    expect(await sharedAdminDrift(stack.running.url, ADMIN_TOKEN, 'fulfillment')).toEqual([]);
  });

  it('answers as documented, through one fulfilled order and its refund', async () => {
    const drift: string[] = [];
    const call = async (operationId: string, path: string, key: string, body?: unknown) => {
      const op = operation(operationId);
      const res = await api(stack.running.url, path, { key, method: op.method.toUpperCase(), body });
      drift.push(...answerDrift(op, res.status, res.body));
      return res;
    };
    const productId = `app-${randomUUID()}`;
    await addKeys(stack.running.url, productId, freshKeys(1));
    const order = approvedOrder([{ kind: 'ticket' }, { kind: 'license', productId }]);
    await stack.publish('order.ready_to_fulfill', order);
    await outcome(stack, order.orderId, 'fulfillment.completed');

    const view = await call('getOrderFulfillment', `/api/orders/${order.orderId}/fulfillment`, SHOP_A.key);
    expect(view.body.status).toBe('COMPLETED');
    // Problems are documented by status (answerDrift checks the success answers' schemas).
    expect((await api(stack.running.url, `/api/orders/${order.orderId}/fulfillment`, { key: SHOP_B.key })).status).toBe(404);
    expect(operation('getOrderFulfillment').problems).toContain(404);
    const qr = view.body.tickets[0].qrPayload as string;
    expect((await call('verifyTicket', '/api/tickets/verify', SHOP_A.key, { payload: qr })).body.valid).toBe(true);
    expect((await call('verifyTicket', '/api/tickets/verify', SHOP_B.key, { payload: qr })).body.reason).toBe('not a ticket of this shop');
    expect((await call('verifyTicket', '/api/tickets/verify', SHOP_A.key, operation('verifyTicket').body!.example)).body.reason).toBe('not an authentic ticket');
    expect((await api(stack.running.url, '/api/tickets/verify', { key: SHOP_A.key, method: 'POST', body: { payload: '' } })).status).toBe(400);

    await stack.publish('order.refunded', { ...order, status: 'REFUNDED', previousStatus: 'APPROVED', refundedCents: order.totalCents });
    await outcome(stack, order.orderId, 'fulfillment.voided');
    expect((await call('getOrderFulfillment', `/api/orders/${order.orderId}/fulfillment`, SHOP_A.key)).body.status).toBe('VOIDED');
    expect((await call('verifyTicket', '/api/tickets/verify', SHOP_A.key, { payload: qr })).body.reason).toBe('voided');
    expect(drift).toEqual([]);
  });

  it('answers support’s license pools and fulfillments as documented, through a fulfillment that failed on an exhausted pool', async () => {
    const { call, drift } = documentedCalls(FULFILLMENT_OPERATIONS, (op, path, body) => api(stack.running.url, path, { admin: true, method: op.method.toUpperCase(), body }));
    const productId = `app-${randomUUID()}`;
    expect((await call('addLicenseKeys', `/admin/license-pools/${productId}/keys`, { keys: freshKeys(1) })).status).toBe(201);
    const order = approvedOrder([{ kind: 'license', productId, quantity: 3 }]);
    await stack.publish('order.ready_to_fulfill', order);
    await outcome(stack, order.orderId, 'fulfillment.failed');

    expect((await call('listFulfillments', '/admin/fulfillments?status=FAILED')).body.items.map((j: { orderId: string }) => j.orderId)).toContain(order.orderId);
    expect((await call('getFulfillment', `/admin/fulfillments/${order.orderId}`)).body.status).toBe('FAILED');
    expect((await call('getFulfillment', `/admin/fulfillments/${order.orderId}?reveal=everything`)).status).toBe(400);
    expect((await call('getFulfillment', '/admin/fulfillments/ord_none')).status).toBe(404);
    expect((await call('addLicenseKeys', `/admin/license-pools/${productId}/keys`, operation('addLicenseKeys').body!.example)).body).toMatchObject({ added: 2, available: 3 });
    expect((await call('listLicensePools', '/admin/license-pools')).body.items).toContainEqual({ productId, available: 3, assigned: 0, revoked: 0 });
    expect((await call('retryFulfillment', `/admin/fulfillments/${order.orderId}/retry`)).status).toBe(202);
    await outcome(stack, order.orderId, 'fulfillment.completed');
    expect((await call('retryFulfillment', `/admin/fulfillments/${order.orderId}/retry`)).status).toBe(409);
    expect((await call('getFulfillment', `/admin/fulfillments/${order.orderId}?reveal=keys`)).body.licenses.every((l: { key: string | null }) => l.key)).toBe(true);
    expect(drift).toEqual([]);
  });
});
