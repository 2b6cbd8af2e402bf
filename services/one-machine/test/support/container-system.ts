import { createLogger } from '@orderflow/logging';
import { tempDir } from '@orderflow/testing';
import { startOneMachine } from '../../src';
import { readSecrets, shopOf, type BackendService, type System } from './system';

/** The images production runs on (docker-compose.yml); Confluent's 7.9 is Apache Kafka 3.9. */
const IMAGES = {
  kafka: process.env.ORDERFLOW_E2E_KAFKA_IMAGE ?? 'confluentinc/cp-kafka:7.9.0',
  postgres: process.env.ORDERFLOW_E2E_POSTGRES_IMAGE ?? 'postgres:15',
  redis: process.env.ORDERFLOW_E2E_REDIS_IMAGE ?? 'redis:7',
};

/** The plaintext listener @testcontainers/kafka publishes to the host. */
const KAFKA_HOST_PORT = 9093;

const DATABASE_VARIABLES: Record<BackendService, string> = {
  ingress: 'INGRESS_DATABASE_URL',
  order: 'ORDER_DATABASE_URL',
  fulfillment: 'FULFILLMENT_DATABASE_URL',
  notification: 'NOTIFICATION_DATABASE_URL',
  dispatch: 'DISPATCH_DATABASE_URL',
};

/** Kafka, PostgreSQL and Redis, wherever they run. */
export interface Infrastructure {
  readonly description: string;
  readonly kafkaBrokers: string;
  readonly redisUrl: string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** Fails with what to do when no Docker engine answers, instead of testcontainers' own probe errors. */
export async function assertDockerReachable(): Promise<void> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch (err) {
    throw new Error(
      'ORDERFLOW_E2E_CONTAINERS=1 runs the end-to-end suite on real Kafka, PostgreSQL and Redis containers, ' +
        `but no Docker engine is reachable (${err instanceof Error ? err.message : String(err)}). ` +
        'Start Docker (or point DOCKER_HOST at one), or unset ORDERFLOW_E2E_CONTAINERS to run on the embedded broker.',
    );
  }
}

/** Kafka (KRaft), PostgreSQL and Redis, each in its own container, started side by side. */
export async function startContainers(): Promise<Infrastructure> {
  await assertDockerReachable();
  const [{ KafkaContainer }, { PostgreSqlContainer }, { RedisContainer }] = await Promise.all([
    import('@testcontainers/kafka'),
    import('@testcontainers/postgresql'),
    import('@testcontainers/redis'),
  ]);
  const [kafka, postgres, redis] = await Promise.allSettled([
    new KafkaContainer(IMAGES.kafka).withKraft().start(),
    new PostgreSqlContainer(IMAGES.postgres).start(),
    new RedisContainer(IMAGES.redis).start(),
  ]);
  const stop = () => Promise.all([kafka, postgres, redis].map((c) => (c.status === 'fulfilled' ? c.value.stop() : undefined))).then(() => undefined);
  if (kafka.status === 'rejected' || postgres.status === 'rejected' || redis.status === 'rejected') {
    await stop();
    throw ([kafka, postgres, redis].find((c) => c.status === 'rejected') as PromiseRejectedResult).reason;
  }
  const pg = postgres.value;
  return {
    description: `real Kafka (${IMAGES.kafka}), PostgreSQL (${IMAGES.postgres}) and Redis (${IMAGES.redis}) containers`,
    kafkaBrokers: `${kafka.value.getHost()}:${kafka.value.getMappedPort(KAFKA_HOST_PORT)}`,
    redisUrl: redis.value.getConnectionUrl(),
    async createDatabase(name) {
      const created = await pg.exec(['psql', '-v', 'ON_ERROR_STOP=1', '-U', pg.getUsername(), '-d', pg.getDatabase(), '-c', `CREATE DATABASE ${name}`]);
      if (created.exitCode !== 0) throw new Error(`creating database ${name} failed: ${created.output}`);
      const url = new URL(pg.getConnectionUri());
      url.pathname = `/${name}`;
      return url.toString();
    },
    stop,
  };
}

/**
 * Every service in this process through `startOneMachine`, as a deployment beyond one machine
 * runs them: on `infra`'s Kafka, one PostgreSQL database per service (a service never reads
 * another's tables) and Redis. Nothing embedded is used: no broker, no PGlite, no in-memory
 * dedupe. The infrastructure is stopped with the system.
 */
export async function startOnInfrastructure(infra: Infrastructure, env: Record<string, string>): Promise<System> {
  const dir = tempDir('orderflow-e2e-infra-');
  try {
    const databaseUrls: Record<string, string> = {};
    for (const [service, variable] of Object.entries(DATABASE_VARIABLES)) databaseUrls[variable] = await infra.createDatabase(`orderflow_${service}`);
    const logs: string[] = [];
    const logger = createLogger({ name: 'orderflow', level: 'warn', destination: { write: (line: string) => void logs.push(line) } });
    const machine = await startOneMachine({ ...env, ...databaseUrls, DATA_DIR: dir.path, PORT: '0', KAFKA_BROKERS: infra.kafkaBrokers, REDIS_URL: infra.redisUrl }, logger);
    const secrets = readSecrets(machine.secretsFile);
    return {
      description: infra.description,
      urls: machine.urls,
      secrets,
      shop: shopOf(secrets),
      diagnostics: () => `service logs (last lines):\n${logs.slice(-40).join('')}`,
      stop: async () => {
        await machine.stop();
        await infra.stop();
        dir.remove();
      },
    };
  } catch (err) {
    await infra.stop();
    dir.remove();
    throw err;
  }
}
