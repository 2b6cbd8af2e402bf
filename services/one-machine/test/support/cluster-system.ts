import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePorts, startKafka, type KafkaCluster } from '@orderflow/apache-kafka';
import { createTestDatabase, type TestDatabase } from '@orderflow/testing';
import { interpolate, readCompose, type ComposeService } from '../deployment/deployment-files';
import { localSecrets, type LocalSecrets } from '../../src';
import { ServiceProcess } from './service-process';
import { shopOf, type BackendService, type System } from './system';

/** How many processes of each Compose service run: the production shape the cluster test proves. */
export type Topology = Readonly<Record<'ingress' | 'order' | 'fulfillment' | 'notification' | 'outbound-dispatch' | 'console', number>>;

export const PRODUCTION_SHAPE: Topology = { ingress: 1, order: 2, fulfillment: 2, notification: 1, 'outbound-dispatch': 2, console: 1 };

/** Which Compose service answers for each part of the System interface. */
const BACKENDS: Record<BackendService, keyof Topology> = {
  ingress: 'ingress',
  order: 'order',
  fulfillment: 'fulfillment',
  notification: 'notification',
  dispatch: 'outbound-dispatch',
};

/** Each service's database URL in docker-compose.yml, and the prefix of the test database that replaces it. */
const DATABASES: Record<string, string> = {
  INGRESS_DATABASE_URL: 'cluster_ingress',
  ORDER_DATABASE_URL: 'cluster_order',
  FULFILLMENT_DATABASE_URL: 'cluster_fulfillment',
  NOTIFICATION_DATABASE_URL: 'cluster_notification',
  DISPATCH_DATABASE_URL: 'cluster_dispatch',
};

/** Host names of docker-compose.yml's network: none may be left in a process's environment. */
const COMPOSE_HOSTS = /\/\/(kafka|postgres|redis|mailpit|ingress|order|fulfillment|notification|outbound-dispatch|console)[:/]|^kafka:/;

export interface ClusterSystem extends System {
  readonly kafka: KafkaCluster;
  /** Every process of a Compose service, in instance order. */
  instances(service: keyof Topology): ServiceProcess[];
}

export interface ClusterOptions {
  /** What `.env` holds beyond the generated secrets: third parties, timeouts, Kafka settings. */
  dotenv: Record<string, string>;
  topology?: Topology;
  kafkaNodes?: number;
}

/**
 * Orderflow as docker-compose.yml deploys it, with processes on loopback instead of containers:
 * every service's environment is Compose's own `environment:` block, interpolated from a `.env`
 * as Compose does, with only the addresses of its network replaced (Kafka, Postgres, Redis and
 * the services' URLs) and each instance on its own port. Kafka is an Apache Kafka cluster of
 * `kafkaNodes` brokers; each service has its own PostgreSQL database; Redis is the local one
 * under a prefix of its own.
 */
export async function startClusterSystem(options: ClusterOptions): Promise<ClusterSystem> {
  const topology = options.topology ?? PRODUCTION_SHAPE;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orderflow-cluster-'));
  const { secrets } = localSecrets(workDir);
  const databases: TestDatabase[] = [];
  const processes = new Map<keyof Topology, ServiceProcess[]>();
  let kafka: KafkaCluster | undefined;
  const stop = async () => {
    // Consumers first, then what they read from: a stopping service commits its offsets.
    for (const service of ['console', 'ingress', 'order', 'fulfillment', 'notification', 'outbound-dispatch'] as const) {
      await Promise.all((processes.get(service) ?? []).map((p) => p.stop()));
    }
    await kafka?.stop();
    await Promise.all(databases.map((db) => db.drop()));
    fs.rmSync(workDir, { recursive: true, force: true });
  };
  try {
    const databaseUrls: Record<string, string> = {};
    [kafka] = await Promise.all([
      startKafka({ nodes: options.kafkaNodes ?? 3, dataDir: path.join(workDir, 'kafka') }),
      ...Object.entries(DATABASES).map(async ([variable, prefix]) => {
        const db = await createTestDatabase(prefix);
        databases.push(db);
        databaseUrls[variable] = db.url;
      }),
    ]);
    const compose = readCompose();
    const names = Object.entries(topology).flatMap(([service, count]) => Array.from({ length: count }, (_, i) => `${service}#${i + 1}`));
    const free = await freePorts(names.length);
    const ports = new Map(names.map((name, i) => [name, free[i]]));
    const urlOf = (service: keyof Topology, instance = 1) => `http://127.0.0.1:${ports.get(`${service}#${instance}`)}`;
    const dotenv: Record<string, string> = {
      ...serviceSecretsOf(secrets),
      POSTGRES_PASSWORD: 'unused-databases-are-local',
      GRAFANA_ADMIN_PASSWORD: 'unused',
      REDIS_KEY_PREFIX: `cluster-${randomBytes(4).toString('hex')}:`,
      ACCOUNT_URL: `${urlOf('console')}/account`,
      ...options.dotenv,
    };
    const network: Record<string, string> = {
      KAFKA_BROKERS: kafka.brokers.join(','),
      REDIS_URL: 'redis://127.0.0.1:6379',
      HOST: '127.0.0.1',
      ...databaseUrls,
      INGRESS_URL: urlOf('ingress'),
      ORDER_URL: urlOf('order'),
      FULFILLMENT_URL: urlOf('fulfillment'),
      NOTIFICATION_URL: urlOf('notification'),
      DISPATCH_URL: urlOf('outbound-dispatch'),
    };
    for (const [service, count] of Object.entries(topology) as Array<[keyof Topology, number]>) {
      const declared = compose.services[service];
      if (!declared) throw new Error(`docker-compose.yml has no service ${service}`);
      processes.set(
        service,
        Array.from({ length: count }, (_, i) => {
          const env = environmentOf(service, declared, dotenv, {
            ...network,
            PORT: String(ports.get(`${service}#${i + 1}`)),
            DATA_DIR: path.join(workDir, `${service}-${i + 1}`),
          });
          return new ServiceProcess(service, i + 1, urlOf(service, i + 1), env);
        }),
      );
    }
    // As Compose's depends_on orders them: the backends, then the console that reads them.
    await Promise.all([...processes].filter(([service]) => service !== 'console').flatMap(([, list]) => list.map((p) => p.start())));
    await Promise.all((processes.get('console') ?? []).map((p) => p.start()));
  } catch (err) {
    await stop();
    throw err;
  }
  const all = () => [...processes.values()].flat();
  const cluster = kafka;
  return {
    description: `${Object.entries(topology)
      .map(([service, count]) => `${service} ×${count}`)
      .join(', ')} as separate processes on a ${cluster.nodes.length}-broker Apache Kafka ${cluster.version} cluster`,
    kafka: cluster,
    urls: Object.fromEntries(Object.entries(BACKENDS).map(([backend, service]) => [backend, processes.get(service)![0].url])) as Record<BackendService, string>,
    secrets,
    shop: shopOf(secrets),
    instances: (service) => processes.get(service) ?? [],
    diagnostics: () => all().map((p) => p.tail(12)).join('\n'),
    stop,
  };
}

function serviceSecretsOf(secrets: LocalSecrets): Record<string, string> {
  const { WIX_PRIVATE_KEY: _localOnly, ...forServices } = secrets;
  return forServices;
}

/**
 * A process's environment: Compose's `environment:` for `service`, interpolated from `dotenv`,
 * with `network` replacing the addresses of Compose's network. An unset optional value stays
 * empty, which every service reads as "use the default", as in a container.
 */
function environmentOf(service: string, declared: ComposeService, dotenv: Record<string, string>, network: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(declared.environment ?? {})) {
    env[name] = name in network ? network[name] : interpolate(String(value ?? ''), dotenv);
  }
  for (const name of ['PORT', 'DATA_DIR', 'HOST']) env[name] = network[name];
  const leftover = Object.entries(env).filter(([, value]) => COMPOSE_HOSTS.test(value));
  if (leftover.length > 0) throw new Error(`${service}: docker-compose.yml names hosts of its network in ${leftover.map(([name]) => name).join(', ')}; map them in cluster-system.ts`);
  return env;
}
