/**
 * The one origin's route table: which service answers a public path. It is the single source
 * for the one-machine router (`npm start`), the Compose gateway and the Kubernetes Ingress
 * (deploy/k8s/base/origin-ingress.yaml), and a test checks those two files against it.
 *
 * Matching is Kubernetes' `pathType: Prefix`: a route matches a path whose leading segments are
 * the route's (`/external/order` matches `/external/order/status`, not `/external/orders`); the
 * longest route wins; `exact` is `pathType: Exact`. Nothing is rewritten: a service answers at
 * the very path the client asked for.
 *
 * Routes several services have (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`, and the admin
 * token's `/admin/api-keys` and `/admin/outbox/set-aside`) each service also answers under a path
 * it alone owns: `/healthz/<service>`, `/readyz/<service>`, `/metrics/<service>`,
 * `/openapi/<service>.json` and `/admin/<service>/…`. The unqualified four on the origin are the
 * console's, which answers them for the whole system (every service's health and readiness,
 * every service's metrics, one merged OpenAPI document).
 */
export type OriginService = 'ingress' | 'order' | 'fulfillment' | 'notification' | 'dispatch' | 'console';

export const ORIGIN_SERVICES: readonly OriginService[] = ['ingress', 'order', 'fulfillment', 'notification', 'dispatch', 'console'];

export interface OriginRoute {
  readonly path: string;
  readonly service: OriginService;
  /** Only this very path (Kubernetes' `Exact`), not the paths under it. */
  readonly exact?: boolean;
}

/** The services whose admin API has the shared `/admin/api-keys` and `/admin/outbox/set-aside`. */
export const SHARED_ADMIN_SERVICES: readonly OriginService[] = ['order', 'fulfillment', 'dispatch'];

/** The services that serve an OpenAPI document. */
export const DOCUMENTED_SERVICES: readonly OriginService[] = ['ingress', 'order', 'fulfillment', 'notification', 'dispatch'];

/** Each service's own paths: where its routes are, and nobody else's. */
const OWN_PATHS: Record<OriginService, readonly string[]> = {
  ingress: ['/api/webhooks', '/admin/events'],
  order: ['/api/checkout', '/health/checkout', '/external/order', '/external/orders', '/external/checkouts', '/admin/orders', '/admin/customers', '/admin/payments', '/admin/capacities'],
  fulfillment: ['/api/orders', '/api/tickets', '/admin/license-pools', '/admin/fulfillments'],
  notification: ['/admin/mailbox', '/admin/notifications', '/admin/activity', '/admin/summary'],
  dispatch: ['/external/webhooks', '/external/deliveries', '/admin/subscriptions', '/admin/deliveries'],
  console: ['/console', '/account', '/healthz', '/readyz', '/metrics', '/openapi.json'],
};

/** Where a service answers the routes every service has, under a path only it has. */
export function qualifiedPaths(service: OriginService): { healthz: string; readyz: string; metrics: string; openapi: string; admin: string } {
  return { healthz: `/healthz/${service}`, readyz: `/readyz/${service}`, metrics: `/metrics/${service}`, openapi: `/openapi/${service}.json`, admin: `/admin/${service}` };
}

/** The table, in a stable order: each service's own paths, then its qualified ones; `/` (the console's front door) last. */
export const ORIGIN_ROUTES: readonly OriginRoute[] = [
  ...ORIGIN_SERVICES.flatMap((service) => {
    const q = qualifiedPaths(service);
    return [
      ...OWN_PATHS[service],
      q.healthz,
      q.readyz,
      q.metrics,
      ...(DOCUMENTED_SERVICES.includes(service) ? [q.openapi] : []),
      ...(SHARED_ADMIN_SERVICES.includes(service) ? [q.admin] : []),
    ].map((path): OriginRoute => ({ path, service }));
  }),
  { path: '/', service: 'console', exact: true },
];

const segments = (path: string): string[] => path.split('/').filter(Boolean);

/** The route answering `pathname` (no query string), by Kubernetes' rules; undefined when none. */
export function routeFor(pathname: string, routes: readonly OriginRoute[] = ORIGIN_ROUTES): OriginRoute | undefined {
  const asked = segments(pathname);
  let best: OriginRoute | undefined;
  let bestLength = -1;
  for (const route of routes) {
    const own = segments(route.path);
    if (route.exact ? pathname !== route.path : own.length > asked.length || own.some((segment, i) => segment !== asked[i])) continue;
    if (own.length > bestLength) {
      best = route;
      bestLength = own.length;
    }
  }
  return best;
}
