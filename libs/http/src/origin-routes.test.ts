import { ORIGIN_ROUTES, ORIGIN_SERVICES, qualifiedPaths, routeFor } from './origin-routes';

describe('the origin route table', () => {
  it.each([
    ['/api/webhooks/stripe', 'ingress'],
    ['/api/checkout', 'order'],
    ['/api/checkout/status', 'order'],
    ['/external/order/status', 'order'],
    ['/external/orders', 'order'],
    ['/external/webhooks/abc/deliveries', 'dispatch'],
    ['/api/orders/ord_1/fulfillment', 'fulfillment'],
    ['/admin/orders/ord_1', 'order'],
    ['/admin/fulfillments/ord_1', 'fulfillment'],
    ['/admin/order/api-keys', 'order'],
    ['/admin/fulfillment/outbox/set-aside/7/requeue', 'fulfillment'],
    ['/admin/dispatch/api-keys', 'dispatch'],
    ['/admin/mailbox/12/html', 'notification'],
    ['/metrics/order', 'order'],
    ['/metrics', 'console'],
    ['/openapi.json', 'console'],
    ['/openapi/dispatch.json', 'dispatch'],
    ['/console/', 'console'],
    ['/', 'console'],
  ])('routes %s to %s', (path, service) => {
    expect(routeFor(path)?.service).toBe(service);
  });

  it("matches by whole segments, as Kubernetes' Prefix: a longer name is another path", () => {
    expect(routeFor('/external/orderz')).toBeUndefined();
    expect(routeFor('/api/checkoutx')).toBeUndefined();
    expect(routeFor('/admin/api-keys')).toBeUndefined();
    expect(routeFor('/nope')).toBeUndefined();
    expect(routeFor('/console')?.service).toBe('console');
  });

  it('gives every path one service, and every service its qualified health, readiness and metrics', () => {
    expect(new Set(ORIGIN_ROUTES.map((route) => route.path)).size).toBe(ORIGIN_ROUTES.length);
    for (const service of ORIGIN_SERVICES) {
      const q = qualifiedPaths(service);
      for (const path of [q.healthz, q.readyz, q.metrics]) expect(routeFor(path)?.service).toBe(service);
    }
  });
});
