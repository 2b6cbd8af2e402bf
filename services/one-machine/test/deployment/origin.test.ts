import { loadGatewayConfig } from '@orderflow/console';
import { ORIGIN_ROUTES, ORIGIN_SERVICES, type OriginService } from '@orderflow/http';
import { DEPLOYABLES, interpolate, readCompose, readKustomizeResources, readYaml, type K8sObject } from './deployment-files';

/**
 * The one origin routes by one table (libs/http's ORIGIN_ROUTES) wherever it runs: `npm start`'s
 * router reads it directly; the Kubernetes Ingress and the Compose gateway are checked here to
 * route each path to the same service, with nothing rewritten.
 */

/** Each origin service as deployed: its Compose service and Kubernetes Service. */
const DEPLOYED: Record<OriginService, (typeof DEPLOYABLES)[number]['name']> = {
  ingress: 'ingress',
  order: 'order',
  fulfillment: 'fulfillment',
  notification: 'notification',
  dispatch: 'outbound-dispatch',
  console: 'console',
};
const portOf = (service: OriginService): number => DEPLOYABLES.find(({ name }) => name === DEPLOYED[service])!.port;

interface IngressPath {
  path: string;
  pathType: string;
  backend: { service: { name: string; port: { number?: number; name?: string } } };
}

describe('the Kubernetes Ingress', () => {
  const base = readKustomizeResources('deploy/k8s/base');
  const ingresses = base.filter((object) => object.kind === 'Ingress') as Array<K8sObject & { spec: { rules: Array<{ http: { paths: IngressPath[] } }> } }>;

  it('is one Ingress in the base, with one rule', () => {
    expect(ingresses.map((ingress) => ingress.metadata.name)).toEqual(['orderflow']);
    expect(ingresses[0]!.spec.rules).toHaveLength(1);
  });

  it('routes exactly the paths of the route table, each to its service and port, with the same match', () => {
    const paths = ingresses[0]!.spec.rules[0]!.http.paths;
    expect(paths.map((p) => ({ path: p.path, pathType: p.pathType, service: p.backend.service.name, port: p.backend.service.port.number }))).toEqual(
      ORIGIN_ROUTES.map((route) => ({ path: route.path, pathType: route.exact ? 'Exact' : 'Prefix', service: DEPLOYED[route.service], port: portOf(route.service) })),
    );
  });

  it("sends each to a Service of the base on that Service's port", () => {
    for (const service of ORIGIN_SERVICES) {
      const found = base.find((object) => object.kind === 'Service' && object.metadata.name === DEPLOYED[service]) as unknown as { spec: { ports: Array<{ port: number }> } };
      expect(found.spec.ports.map((p) => p.port)).toEqual([portOf(service)]);
    }
  });

  it('rewrites nothing: no annotation changes a path', () => {
    expect(Object.keys(ingresses[0]!.metadata.annotations ?? {}).filter((name) => /rewrite|path|snippet/i.test(name))).toEqual([]);
  });
});

describe('the Compose gateway', () => {
  const compose = readCompose();
  const gateway = compose.services.gateway!;
  const env = Object.fromEntries(Object.entries(gateway.environment ?? {}).map(([name, value]) => [name, interpolate(String(value ?? ''), {})]));

  it("runs the image's gateway on the published origin port", () => {
    expect(gateway.command).toEqual(['gateway']);
    expect(gateway.ports).toEqual([`127.0.0.1:${env.PORT}:${env.PORT}`]);
  });

  it("reaches each service of the table at its Compose name and port, and starts once the console (which waits for the rest) is healthy", () => {
    const config = loadGatewayConfig(env);
    const urls: Record<OriginService, string> = { ingress: config.INGRESS_URL, order: config.ORDER_URL, fulfillment: config.FULFILLMENT_URL, notification: config.NOTIFICATION_URL, dispatch: config.DISPATCH_URL, console: config.CONSOLE_URL };
    for (const service of ORIGIN_SERVICES) {
      const deployed = compose.services[DEPLOYED[service]]!;
      expect(urls[service]).toBe(`http://${DEPLOYED[service]}:${deployed.environment!.PORT}`);
      expect(Number(deployed.environment!.PORT)).toBe(portOf(service));
    }
    expect(gateway.depends_on).toEqual({ console: { condition: 'service_healthy' } });
  });

  it('is the address customer mails link to, and the services believe what it says of the client', () => {
    expect(String(compose.services.notification!.environment!.ACCOUNT_URL)).toContain(`127.0.0.1:${env.PORT}/account`);
    for (const service of ORIGIN_SERVICES) expect(interpolate(String(compose.services[DEPLOYED[service]]!.environment!.TRUST_PROXY), {})).toBe('loopback,uniquelocal');
  });
});

describe('Prometheus', () => {
  it("scrapes the console's own metrics, not the whole system's it answers on the origin's /metrics", () => {
    const config = readYaml<{ scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[]; labels?: Record<string, string> }> }> }>('deploy/prometheus/prometheus.yml');
    const groups = config.scrape_configs.find((job) => job.job_name === 'orderflow')!.static_configs;
    expect(groups.find((group) => group.targets.includes('console:3005'))?.labels).toEqual({ __metrics_path__: '/metrics/console' });
  });
});
