import { documentedCalls, routeDrift, sharedAdminDrift, validateOpenApi } from '@orderflow/service-testing';
import { waitFor } from '@orderflow/testing';
import { DISPATCH_OPERATIONS, DISPATCH_WEBHOOKS } from '../src/api/openapi';
import { ADMIN_TOKEN, SHOP_A, useDispatchStack, usePartners } from './support';

const operation = (operationId: string) => DISPATCH_OPERATIONS.find((op) => op.operationId === operationId)!;

/**
 * The partner API's OpenAPI document against the service (issue 22): a valid 3.1 document,
 * documented and routed paths alike, the documented examples answered as documented through a
 * subscription's life, and what a partner endpoint receives matching the document's `webhooks`.
 */
describe('the partner API’s OpenAPI document', () => {
  const stack = useDispatchStack('dispatch_openapi');
  const partner = usePartners();

  it('is served at /openapi.json and is a valid OpenAPI 3.1 document, with the events partners receive', async () => {
    const document = (await (await fetch(`${stack.running.url}/openapi.json`)).json()) as { webhooks: Record<string, unknown> };
    expect(Object.keys(document.webhooks)).toEqual(expect.arrayContaining(['order.paid', 'payment.completed', 'fulfillment.completed', 'checkout.started']));
    expect((await validateOpenApi(document)).output).toContain('"valid": true');
  });

  it('documents every partner and support route, and nothing the service does not route', () => {
    expect(routeDrift(stack.running.service.app, DISPATCH_OPERATIONS, 'dispatch')).toEqual({ missing: [], undocumented: [] });
  });

  it('documents the API keys and set-aside outbox rows at /admin/dispatch/..., and answers them as documented', async () => {
    expect(await sharedAdminDrift(stack.running.url, ADMIN_TOKEN, 'dispatch')).toEqual([]);
  });

  it('answers the documented examples as documented, and delivers what its webhooks describe', async () => {
    const p = await partner();
    const { call, drift } = documentedCalls(DISPATCH_OPERATIONS, (op, path, body) => stack.api(path, { method: op.method.toUpperCase(), body }));
    const created = await call('createSubscription', '/external/webhooks', { ...(operation('createSubscription').body!.example as object), url: p.url });
    expect(created.status).toBe(201);
    p.secrets = [created.body.secret];
    const id = created.body.id as string;
    await call('listSubscriptions', '/external/webhooks');
    await call('getSubscription', `/external/webhooks/${id}`);
    await call('testSubscription', `/external/webhooks/${id}/test`);
    const orderId = `ord_openapi_${Date.now()}`;
    await stack.publish('order.paid', orderId);
    await waitFor(() => p.of(orderId).length === 1);
    // What the endpoint received (and verified: Partner checks each signature) is what the
    // document's webhooks say it receives.
    const received = p.of(orderId)[0]!;
    const hook = DISPATCH_WEBHOOKS.find((h) => h.name === received.type)!;
    expect(hook.schema.safeParse(received.body).error?.issues ?? []).toEqual([]);

    const page = await call('listDeliveries', `/external/webhooks/${id}/deliveries?limit=1`);
    const deliveryId = page.body.items[0].id as string;
    await call('getDelivery', `/external/deliveries/${deliveryId}`);
    await waitFor(async () => (await stack.api(`/external/deliveries/${deliveryId}`)).body.status !== 'PENDING');
    await call('resendDelivery', `/external/deliveries/${deliveryId}/resend`);
    await call('replayDeliveries', `/external/webhooks/${id}/replay`, operation('replayDeliveries').body!.example);
    await call('rotateSubscriptionSecret', `/external/webhooks/${id}/rotate-secret`);
    await call('updateSubscription', `/external/webhooks/${id}`, operation('updateSubscription').body!.example);
    expect((await call('deleteSubscription', `/external/webhooks/${id}`)).status).toBe(204);
    expect(drift).toEqual([]);
  });

  it('answers support’s routes as documented, through a subscription disabled, enabled, replayed and resent', async () => {
    const p = await partner();
    const { call, drift } = documentedCalls(DISPATCH_OPERATIONS, (op, path, body) => stack.api(path, { key: ADMIN_TOKEN, method: op.method.toUpperCase(), body }));
    const created = await stack.subscribe(p, ['order.paid']);
    const id = created.body.id as string;
    const orderId = `ord_openapi_support_${Date.now()}`;
    await stack.publish('order.paid', orderId);
    await waitFor(() => p.of(orderId).length === 1);

    const listed = await call('listAllSubscriptions', `/admin/subscriptions?instanceId=${SHOP_A.instanceId}`);
    expect((listed.body.items as Array<{ id: string }>).map((s) => s.id)).toContain(id);
    const deliveries = await call('listAllDeliveries', `/admin/deliveries?subscriptionId=${id}&limit=1`);
    const deliveryId = deliveries.body.items[0].id as string;
    await call('getAnyDelivery', `/admin/deliveries/${deliveryId}`);
    expect((await call('getAnyDelivery', '/admin/deliveries/not-an-id')).status).toBe(400);
    expect((await call('getAnyDelivery', '/admin/deliveries/999999999')).status).toBe(404);
    expect((await call('listAllDeliveries', '/admin/deliveries?status=LOST')).status).toBe(400);
    expect((await call('setSubscriptionActive', `/admin/subscriptions/${id}/active`, operation('setSubscriptionActive').body!.example)).body.active).toBe(false);
    expect((await call('setSubscriptionActive', `/admin/subscriptions/${id}/active`, { active: true })).body.active).toBe(true);
    expect((await call('setSubscriptionActive', '/admin/subscriptions/sub_missing/active', { active: true })).status).toBe(404);
    expect((await call('replaySubscription', `/admin/subscriptions/${id}/replay`, {})).body.replayed).toBeGreaterThanOrEqual(1);
    expect((await call('resendAnyDelivery', `/admin/deliveries/${deliveryId}/resend`)).status).toBe(202);
    expect(drift).toEqual([]);
  });
});
