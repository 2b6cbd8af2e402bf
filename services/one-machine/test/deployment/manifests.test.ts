import * as fs from 'node:fs';
import {
  DEPLOYABLES,
  deploymentSpec,
  readCompose,
  readKustomizeResources,
  readRepoFile,
  readYaml,
  repoPath,
  servicesWithMain,
  type K8sObject,
} from './deployment-files';

/**
 * The deployment files, read as the tools would read them: every service is in the image, in
 * Compose and in the Kubernetes base, started in order behind health checks, probed on
 * /readyz and /healthz, and run as an unprivileged user. Nothing here needs Docker or a cluster.
 */

const SERVICES = DEPLOYABLES.map(({ name }) => name);
const compose = readCompose();
const base = readKustomizeResources('deploy/k8s/base');
const objectsOf = (kind: string) => base.filter((object) => object.kind === kind);
const named = (kind: string, name: string): K8sObject | undefined => base.find((object) => object.kind === kind && object.metadata.name === name);

it('every service with a main.ts is one of the deployables', () => {
  expect(servicesWithMain().filter((service) => !(SERVICES as readonly string[]).includes(service))).toEqual([]);
});

describe('the image', () => {
  const dockerfile = readRepoFile('Dockerfile');
  const entrypoint = readRepoFile('deploy/docker/entrypoint.sh');

  it.each(SERVICES)('builds and can run %s', (service) => {
    const projects = /--projects=(\S+)/.exec(dockerfile)?.[1].split(',') ?? [];
    expect(projects).toContain(service);
    const cases = /^\s*([a-z| -]+)\)\s*$/m.exec(entrypoint)?.[1].split('|').map((name) => name.trim()) ?? [];
    expect(cases).toContain(service);
  });

  it('ships each workspace whole (dist, prisma/migrations, templates) and runs as a non-root user', () => {
    expect(dockerfile).toMatch(/^COPY --from=build \S* ?\/app\/services \.\/services$/m);
    expect(dockerfile).toMatch(/^COPY --from=build \S* ?\/app\/libs \.\/libs$/m);
    expect(dockerfile).toMatch(/^USER 1000(:1000)?$/m);
    const ignored = readRepoFile('.dockerignore').split('\n').map((line) => line.trim());
    for (const needed of ['prisma', 'migrations', 'templates', 'src']) expect(ignored.filter((line) => line.includes(needed) && !line.includes('generated'))).toEqual([]);
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', '.env']));
  });
});

describe('docker-compose.yml', () => {
  it.each(SERVICES)('runs %s from the image, on its port, healthy when /readyz says so', (service) => {
    const port = DEPLOYABLES.find(({ name }) => name === service)!.port;
    const definition = compose.services[service];
    expect(definition).toBeDefined();
    expect(definition.command).toEqual([service]);
    expect(definition.build).toBeDefined();
    expect(definition.environment?.PORT).toBe(port);
    expect(definition.ports).toContain(`127.0.0.1:${port}:${port}`);
    expect(definition.healthcheck?.test.join(' ')).toContain('/readyz');
  });

  it('starts nothing before what it depends on is healthy', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect(compose.services[dependency]).toBeDefined();
        if (condition === 'service_healthy') expect({ name, dependency, healthcheck: compose.services[dependency].healthcheck !== undefined }).toEqual({ name, dependency, healthcheck: true });
        else expect({ name, dependency, condition }).toEqual({ name, dependency, condition: 'service_started' });
      }
    }
    for (const service of ['ingress', 'order', 'fulfillment', 'notification', 'outbound-dispatch']) {
      expect(compose.services[service].depends_on).toMatchObject({ kafka: { condition: 'service_healthy' }, postgres: { condition: 'service_healthy' } });
    }
    expect(compose.services.ingress.depends_on).toMatchObject({ redis: { condition: 'service_healthy' } });
  });

  it('runs the Apache Kafka version CI tests (libs/apache-kafka/pom.xml), in Compose and in the Kubernetes dev overlay', () => {
    const tested = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(readRepoFile('libs/apache-kafka/pom.xml'))?.[1];
    expect(tested).toMatch(/^4\.\d+\.\d+$/);
    expect(compose.services.kafka.image).toBe(`apache/kafka:${tested}`);
    const images = readRepoFile('deploy/k8s/overlays/dev/infra.yaml').match(/image: apache\/kafka:\S+/g);
    expect(images).toEqual([`image: apache/kafka:${tested}`]);
  });

  it('has the infrastructure: Kafka (apache/kafka, KRaft), Postgres, Redis, Prometheus, Grafana, Mailpit', () => {
    expect(compose.services.kafka.image).toMatch(/^apache\/kafka:/);
    expect(compose.services.kafka.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    for (const service of ['postgres', 'redis', 'prometheus', 'grafana', 'mailpit']) expect(compose.services[service]).toBeDefined();
    expect(compose.services.prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
    expect(compose.services.grafana.volumes).toEqual(expect.arrayContaining(['./deploy/grafana/provisioning:/etc/grafana/provisioning:ro']));
  });

  it('gives each service its own database, and the Postgres init script creates each one', () => {
    const script = readRepoFile('deploy/postgres/init-databases.sh');
    const databases = SERVICES.flatMap((service) =>
      Object.entries(compose.services[service].environment ?? {})
        .filter(([key]) => key.endsWith('_DATABASE_URL'))
        .map(([, url]) => /\/([A-Za-z0-9_]+)$/.exec(String(url))![1]),
    );
    expect(databases).toHaveLength(5);
    expect(new Set(databases).size).toBe(5);
    const created = /for database in ([^;]+);/.exec(script)![1].trim().split(/\s+/);
    expect(created.sort()).toEqual([...databases].sort());
    expect(compose.services.postgres.volumes).toContain('./deploy/postgres/init-databases.sh:/docker-entrypoint-initdb.d/10-orderflow-databases.sh:ro');
  });
});

describe('Kubernetes base', () => {
  const kustomization = readYaml<{ namespace: string; resources: string[] }>('deploy/k8s/base/kustomization.yaml');

  it('lists resource files that exist and parse', () => {
    for (const resource of kustomization.resources) expect(fs.existsSync(repoPath('deploy/k8s/base', resource))).toBe(true);
    expect(objectsOf('Namespace').map((namespace) => namespace.metadata.name)).toEqual([kustomization.namespace]);
    expect(kustomization.resources).not.toContain('secret.example.yaml');
  });

  describe.each(SERVICES)('%s', (service) => {
    const port = DEPLOYABLES.find(({ name }) => name === service)!.port;
    const deployment = named('Deployment', service)!;
    const spec = deployment && deploymentSpec(deployment);
    const container = spec?.template.spec.containers[0];
    // The console's /healthz, /readyz and /metrics are the whole system's (the one origin's): its own are qualified.
    const own = (path: string) => (service === 'console' ? `${path}/console` : path);

    it('has a Deployment, a Service, a ConfigMap and a PodDisruptionBudget', () => {
      expect(deployment).toBeDefined();
      expect(named('ConfigMap', `${service}-config`)).toBeDefined();
      expect(named('PodDisruptionBudget', service)).toBeDefined();
      const svc = named('Service', service) as unknown as { spec: { ports: Array<{ port: number; targetPort: string | number }> } };
      expect(svc.spec.ports).toEqual([expect.objectContaining({ port, targetPort: 'http' })]);
    });

    it('runs the image with the service as its command, on the service port', () => {
      expect(container.image).toBe('orderflow');
      expect(container.args).toEqual([service]);
      expect(container.ports).toEqual([{ name: 'http', containerPort: port }]);
      const ownConfigMap = named('ConfigMap', `${service}-config`) as unknown as { data: Record<string, string> };
      expect(ownConfigMap.data.PORT).toBe(String(port));
      expect(spec.template.metadata.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': own('/metrics') });
    });

    it('is ready on its own /readyz and alive on its own /healthz, both on the container port', () => {
      const portNames = new Set<string | number>([port, ...(container.ports ?? []).flatMap((p) => (p.name ? [p.name] : []))]);
      expect(container.readinessProbe?.httpGet?.path).toBe(own('/readyz'));
      expect(container.livenessProbe?.httpGet?.path).toBe(own('/healthz'));
      for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
        if (probe) expect(portNames.has(probe.httpGet!.port)).toBe(true);
      }
    });

    it('runs as non-root on a read-only root filesystem, with requests and a memory limit', () => {
      expect(spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
      expect(container.resources?.requests).toEqual(expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }));
      expect(container.resources?.limits?.memory).toEqual(expect.any(String));
    });
  });

  it.each(['order', 'fulfillment', 'notification', 'outbound-dispatch'])('autoscales the %s consumers, never below 2 nor past what partitions allow', (service) => {
    const hpa = named('HorizontalPodAutoscaler', service) as unknown as { spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number } };
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: service });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    // The autoscaler owns the count: a replicas field would reset it on every apply.
    expect((named('Deployment', service) as unknown as { spec: { replicas?: number } }).spec.replicas).toBeUndefined();
  });

  it('selects each PodDisruptionBudget and Service onto its own pods', () => {
    for (const object of [...objectsOf('PodDisruptionBudget'), ...objectsOf('Service')]) {
      const selector = (object as unknown as { spec: { selector: Record<string, string> & { matchLabels?: Record<string, string> } } }).spec.selector;
      expect(selector.matchLabels ?? selector).toEqual({ 'app.kubernetes.io/name': object.metadata.name });
    }
  });
});

describe('Kubernetes dev overlay', () => {
  const overlay = readYaml<{ resources: string[]; images: Array<{ name: string }>; secretGenerator: Array<{ name: string; envs: string[] }> }>('deploy/k8s/overlays/dev/kustomization.yaml');

  it('builds on the base and generates the Secret the Deployments read', () => {
    expect(overlay.resources).toContain('../../base');
    expect(overlay.images.map((image) => image.name)).toContain('orderflow');
    expect(overlay.secretGenerator).toEqual([expect.objectContaining({ name: 'orderflow-secrets', envs: ['secrets.env'] })]);
    expect(readRepoFile('.gitignore')).toMatch(/^deploy\/k8s\/overlays\/\*\/secrets\.env$/m);
  });

  it('creates the databases with the same script as Compose', () => {
    expect(readRepoFile('deploy/k8s/overlays/dev/init-databases.sh')).toBe(readRepoFile('deploy/postgres/init-databases.sh'));
  });

  it('runs Kafka, Postgres, Redis and Mailpit under the names the base and the Secret expect', () => {
    const infra = readKustomizeResources('deploy/k8s/overlays/dev');
    const services = infra.filter((object) => object.kind === 'Service').map((object) => object.metadata.name);
    expect(services).toEqual(expect.arrayContaining(['kafka', 'postgres', 'redis', 'mailpit']));
    const common = named('ConfigMap', 'orderflow-common') as unknown as { data: Record<string, string> };
    expect(common.data.KAFKA_BROKERS).toBe('kafka:9092');
  });
});
