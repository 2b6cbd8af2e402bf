import {
  DEPLOYABLES,
  containerEnvironment,
  deploymentSpec,
  interpolatedNames,
  readCompose,
  readKustomizeResources,
  readRepoFile,
  readYaml,
  serviceSchema,
  type K8sObject,
  type ServiceSchema,
} from './deployment-files';

/**
 * Every variable a service's config schema knows reaches it wherever it is deployed: Compose
 * forwards each one from .env (or sets it), the Kubernetes base sets it from a ConfigMap or the
 * Secret unless it is listed below as a tunable that keeps its code default, and .env.example
 * documents it. The variables come from the schemas themselves, so a new one fails here until
 * it is wired everywhere.
 */

/**
 * Variables the Kubernetes base leaves to the code's default, and why. Adding one to a
 * ConfigMap (or removing it from a schema) is always fine; a new variable must be either set
 * by the base or listed here.
 */
const K8S_KEEPS_DEFAULT: Record<string, string> = {
  DATA_DIR: 'only read for PGlite, and every Deployment requires its <SERVICE>_DATABASE_URL from the Secret',
  METRICS_PUBLIC: 'false: every Deployment takes METRICS_TOKEN from the Secret and Prometheus scrapes with it (prometheus/kubernetes-scrape.yml)',
  ...Object.fromEntries(
    [
      // ingress
      'REDIS_KEY_PREFIX', 'RATE_LIMIT_POINTS', 'RATE_LIMIT_WINDOW', 'PUBLISH_DEADLINE', 'WIX_PUBLISH_DEADLINE', 'SIGNATURE_ALERT_WINDOW', 'DEDUPE_TTL',
      // order
      'STRIPE_API_BASE', 'STRIPE_TIMEOUT', 'CHECKOUT_LOCK_TTL', 'CHECKOUT_SWEEP_INTERVAL', 'CHECKOUT_STUCK_AFTER',
      // fulfillment
      'FULFILLMENT_MAX_ATTEMPTS', 'FULFILLMENT_RETRY_BASE', 'FULFILLMENT_RETRY_MAX', 'FULFILLMENT_POLL_INTERVAL', 'FULFILLMENT_LOCK_TIMEOUT',
      // notification
      'SMTP_TIMEOUT', 'SMTP_CONNECTIONS', 'WEBHOOK_TIMEOUT', 'NOTIFY_MAX_ATTEMPTS', 'NOTIFY_RETRY_BASE', 'NOTIFY_RETRY_MAX', 'NOTIFY_POLL_INTERVAL', 'BREAKER_RESET_TIMEOUT', 'NOTIFY_MAX_EVENT_AGE', 'NOTIFY_BATCH_SIZE',
      // notification: the account link's lifetime; console: sessions, sign-in limits, upstream timeout
      'CUSTOMER_LINK_TTL', 'SESSION_TTL', 'SESSION_IDLE_TIMEOUT', 'SIGN_IN_LIMIT', 'SIGN_IN_WINDOW', 'UPSTREAM_TIMEOUT',
      // outbound-dispatch
      'DISPATCH_RETRY_SCHEDULE', 'DISPATCH_RETRY_JITTER', 'DISPATCH_TIMEOUT', 'DISPATCH_CONCURRENCY', 'DISPATCH_ENDPOINT_CONCURRENCY', 'DISPATCH_DISABLE_AFTER', 'DISPATCH_BREAKER_RESET',
    ].map((name) => [name, 'a tunable whose code default suits production (documented in .env.example and the service README); add it to the ConfigMap to change it']),
  ),
  ...Object.fromEntries(
    ['KAFKA_TOPIC_PARTITIONS', 'KAFKA_REPLICATION_FACTOR', 'KAFKA_MIN_INSYNC_REPLICAS'].map((name) => [
      name,
      "the topics' shape: 3 partitions and the Kafka cluster's own replication defaults, which a production cluster sets (3 and 2); set them in orderflow-common to override",
    ]),
  ),
};

/** Variables a Deployment or Compose service may set although no schema reads them. */
const RUNTIME_VARIABLES = new Set(['NODE_OPTIONS']);

const schemas = DEPLOYABLES.map(({ name }) => [name, serviceSchema(name)] as const).filter((entry): entry is readonly [(typeof DEPLOYABLES)[number]['name'], ServiceSchema] => entry[1] !== undefined);
const compose = readCompose();
const base = readKustomizeResources('deploy/k8s/base');

function deploymentOf(service: string): K8sObject {
  const deployment = base.find((object) => object.kind === 'Deployment' && object.metadata.name === service);
  if (!deployment) throw new Error(`no Deployment ${service} in deploy/k8s/base`);
  return deployment;
}

describe('config schemas', () => {
  it('are read from every service that has one, the five Kafka services at least', () => {
    expect(schemas.map(([name]) => name)).toEqual(expect.arrayContaining(['ingress', 'order', 'fulfillment', 'notification', 'outbound-dispatch']));
    for (const [, schema] of schemas) expect(schema.keys).toEqual(expect.arrayContaining(['PORT']));
  });

  it('say which variables are required (secrets without defaults)', () => {
    const ingress = schemas.find(([name]) => name === 'ingress')![1];
    expect(ingress.required).toEqual(expect.arrayContaining(['ADMIN_TOKEN', 'STRIPE_WEBHOOK_SECRET']));
    expect(ingress.required).not.toContain('PORT');
  });
});

describe('docker-compose.yml', () => {
  describe.each(schemas)('%s', (service, schema) => {
    const environment = compose.services[service]?.environment ?? {};

    it('sets or forwards every variable of its schema', () => {
      const missing = schema.keys.filter((key) => !(key in environment));
      expect(missing).toEqual([]);
    });

    it('sets no variable its schema does not know (a typo would be silently ignored)', () => {
      const unknown = Object.keys(environment).filter((key) => !schema.keys.includes(key) && !RUNTIME_VARIABLES.has(key));
      expect(unknown).toEqual([]);
    });

    it('forwards each variable under its own name', () => {
      const renamed = Object.entries(environment).filter(([key, value]) => {
        const whole = /^\$\{([A-Za-z0-9_]+)(:[-?][^}]*)?\}$/.exec(String(value));
        return whole !== null && whole[1] !== key;
      });
      expect(renamed).toEqual([]);
    });

    it('never lets a required variable fall back to empty: it is set, or .env must provide it (${VAR:?})', () => {
      const optionalForwards = schema.required.filter((key) => /^\$\{[A-Za-z0-9_]+:-\}$/.test(String(environment[key])));
      expect(optionalForwards).toEqual([]);
      for (const key of schema.required) {
        const value = String(environment[key]);
        if (value.startsWith('${')) expect(value).toMatch(new RegExp(`^\\$\\{${key}:\\?`));
      }
    });
  });
});

describe('Kubernetes base', () => {
  describe.each(schemas)('%s', (service, schema) => {
    const container = deploymentSpec(deploymentOf(service)).template.spec.containers[0];
    const environment = containerEnvironment(container, base);

    it('sets every variable of its schema from a ConfigMap or the Secret, or keeps a listed default', () => {
      const missing = schema.keys.filter((key) => !environment.has(key) && !(key in K8S_KEEPS_DEFAULT));
      expect(missing).toEqual([]);
    });

    it('sets each required variable for sure: from a ConfigMap, or a Secret key that is not optional', () => {
      const unsure = schema.required.filter((key) => !environment.has(key) || environment.get(key)!.optional);
      expect(unsure).toEqual([]);
    });

    it('sets no variable its schema does not know, apart from the shared ConfigMap', () => {
      const own = (container.env ?? []).map((variable) => variable.name);
      const ownConfigMap = base.find((object) => object.kind === 'ConfigMap' && object.metadata.name === `${service}-config`) as unknown as { data: Record<string, string> };
      const unknown = [...own, ...Object.keys(ownConfigMap.data)].filter((key) => !schema.keys.includes(key) && !RUNTIME_VARIABLES.has(key));
      expect(unknown).toEqual([]);
    });
  });

  it('shares only variables some service reads', () => {
    const common = base.find((object) => object.kind === 'ConfigMap' && object.metadata.name === 'orderflow-common') as unknown as { data: Record<string, string> };
    const known = new Set(schemas.flatMap(([, schema]) => schema.keys));
    expect(Object.keys(common.data).filter((key) => !known.has(key) && !RUNTIME_VARIABLES.has(key))).toEqual([]);
  });

  it('lists only tunables that some schema still has', () => {
    const known = new Set(schemas.flatMap(([, schema]) => schema.keys));
    expect(Object.keys(K8S_KEEPS_DEFAULT).filter((key) => !known.has(key))).toEqual([]);
  });

  it('documents every Secret key the Deployments read in secret.example.yaml and the dev overlay', () => {
    const example = readYaml<{ kind: string; metadata: { name: string }; stringData: Record<string, string> }>('deploy/k8s/base/secret.example.yaml');
    expect(example.kind).toBe('Secret');
    const devExample = readRepoFile('deploy/k8s/overlays/dev/secrets.env.example');
    const keys = new Set<string>();
    const secretNames = new Set<string>();
    for (const deployment of base.filter((object) => object.kind === 'Deployment')) {
      for (const variable of deploymentSpec(deployment).template.spec.containers[0].env ?? []) {
        const ref = variable.valueFrom?.secretKeyRef;
        if (!ref) continue;
        keys.add(ref.key);
        secretNames.add(ref.name);
      }
    }
    expect([...secretNames]).toEqual([example.metadata.name]);
    expect([...keys].filter((key) => !(key in example.stringData))).toEqual([]);
    expect([...keys].filter((key) => !new RegExp(`^#?\\s*${key}=`, 'm').test(devExample))).toEqual([]);
  });
});

describe('.env.example', () => {
  const example = readRepoFile('.env.example');
  const mentions = (name: string) => new RegExp(`^#?\\s*${name}=`, 'm').test(example);

  it('documents every variable of every service', () => {
    const keys = [...new Set(schemas.flatMap(([, schema]) => schema.keys))].sort();
    expect(keys.filter((key) => !mentions(key))).toEqual([]);
  });

  it('documents every variable docker-compose.yml reads from .env', () => {
    const read = new Set<string>();
    for (const service of Object.values(compose.services)) {
      for (const value of Object.values(service.environment ?? {})) for (const name of interpolatedNames(String(value))) read.add(name);
      if (service.image) for (const name of interpolatedNames(service.image)) read.add(name);
    }
    expect([...read].filter((name) => !mentions(name))).toEqual([]);
  });

  it('leaves every value Compose requires (${VAR:?}) empty: secrets are generated, never shipped', () => {
    const required = new Set<string>();
    for (const service of Object.values(compose.services)) {
      for (const value of Object.values(service.environment ?? {})) for (const match of String(value).matchAll(/\$\{([A-Za-z0-9_]+):\?/g)) required.add(match[1]);
    }
    expect(required.size).toBeGreaterThan(0);
    expect([...required].filter((name) => !new RegExp(`^${name}=$`, 'm').test(example))).toEqual([]);
  });
});
