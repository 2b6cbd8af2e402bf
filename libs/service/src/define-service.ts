import { kafkaOptions, type TrustProxy } from '@orderflow/config';
import { databaseOutage, openDatabase, rawClient, setAsideOutboxOf, startOutboxRelay, type Database, type OutboxRelay, type RawClient } from '@orderflow/db';
import {
  apiKeyAdminRoutes,
  bootstrapApiKeys,
  createHttpApp,
  databaseReadiness,
  ORIGIN_SERVICES,
  outboxAdminRoutes,
  serveOpenApi,
  type ApiKeyStore,
  type OriginService,
  type Pingable,
  type ReadinessCheck,
  type ServiceHandle,
} from '@orderflow/http';
import { createBus, sendEach, type BatchingProducer, type ConsumerOptions, type ConsumerRunner } from '@orderflow/kafka';
import { createLogger, type Logger, type LogLevel } from '@orderflow/logging';
import { createMetricsRegistry, type Registry } from '@orderflow/metrics';
import type { Express } from 'express';
import { stopInOrder, type StopStep } from './stop-ladder';

/** The settings every pipeline service reads (`serviceFields()` in @orderflow/config). */
export interface ServiceConfig {
  LOG_LEVEL: LogLevel;
  METRICS_TOKEN?: string;
  METRICS_PUBLIC: boolean;
  TRUST_PROXY: TrustProxy;
  DATA_DIR: string;
  KAFKA_BROKERS: readonly string[];
  KAFKA_TOPIC_PARTITIONS: number;
  KAFKA_REPLICATION_FACTOR?: number;
  KAFKA_MIN_INSYNC_REPLICAS?: number;
  KAFKA_SESSION_TIMEOUT?: number;
}

/** A service's generated Prisma client, as far as starting and stopping it goes. */
export interface ServicePrisma extends Pingable {
  $disconnect(): Promise<void>;
}

/** What start opened: the database, its Prisma client and raw SQL on it, the outbox relay. */
export interface Opened<P> {
  database: Database;
  prisma: P;
  sql: RawClient;
  /** Present when the service declared `outboxRelay`. */
  relay: OutboxRelay | undefined;
}

/** What a started service has: what start opened, and the parts the service built on it. */
export interface Running<P, Parts> extends Opened<P> {
  parts: Parts;
}

/** Something that runs beside the consumer: a job runner, channel workers, a dispatcher, a sweep. */
export interface Worker extends StopStep {
  start?(): void | Promise<void>;
}

/**
 * The service's consumer: its group is `<name>-service`, its topics the definition's `reads`, its
 * partitions pause while the database is out.
 */
export type ServiceConsumer = Omit<ConsumerOptions, 'groupId' | 'topics'>;

/** What defineService's caller gets before the service starts, to build what its routes need. */
export interface ServiceKit<P, Parts> {
  readonly logger: Logger;
  readonly registry: Registry;
  /** The service's producer: the outbox relay publishes through it, the ingress directly. */
  readonly producer: BatchingProducer;
  /** What the service runs, from the end of `start` to the beginning of `stop`; else undefined. */
  running(): Running<P, Parts> | undefined;
  /**
   * What start opened, from the moment it did until stop closes it: for workers, which start
   * before the service runs and stop after it no longer does.
   */
  opened(): Opened<P> | undefined;
}

export interface ServiceIdentity {
  /** 'order': names its logger, metrics, Kafka client, database and consumer group (`order-service`). */
  name: string;
  /** Its name on the one origin, when that is not `name` (outbound-dispatch's is `dispatch`). */
  origin?: OriginService;
  config: ServiceConfig;
  /** main.ts and the one-machine mode pass theirs; default a logger named `name` at LOG_LEVEL. */
  logger?: Logger;
}

type ApiKeys = ReadonlyArray<{ instanceId: string; key: string }>;

/** What a service has, in the order `start` brings it up. */
export interface ServiceDefinition<P extends ServicePrisma, Parts> {
  database: {
    /** Postgres; without one, PGlite under DATA_DIR/<name>. */
    url: string | undefined;
    /** The service's SQL migrations, applied before anything touches the database. */
    migrationsDir: string;
    client(adapter: Database['adapter']): P;
    /** Stored hashed before anything runs, for a client whose schema has libs/http's API key tables. */
    apiKeys?: P extends ApiKeyStore ? ApiKeys : never;
  };
  topics: {
    ensure: string[];
    withDeadLetters?: boolean;
    /** Not waited for: start goes on while Kafka is away (the ingress answers 503 meanwhile). */
    inBackground?: boolean;
  };
  /** Publishes the service's outbox through its producer. */
  outboxRelay?: boolean;
  /** Builds what the workers, the consumer and the routes share, once the database is open. */
  parts?(opened: Opened<P>): Parts | Promise<Parts>;
  /** Started in order, stopped in reverse after the consumer. */
  workers?(running: Running<P, Parts>): Worker[];
  /**
   * The topics the consumer reads, declared apart from its handlers so that what reads what is
   * known without starting anything (docs/ARCHITECTURE.md's topic table is checked against it).
   */
  reads?: readonly string[];
  consumer?(running: Running<P, Parts>): ServiceConsumer;
  /** The OpenAPI document of the service's routes, served at `/openapi.json`. */
  openApi: Parameters<typeof serveOpenApi>[1];
  routes(app: Express): void;
  /**
   * ADMIN_TOKEN, for libs/http's admin routes every service shares, added after the service's
   * own: the outbox's set-aside messages (with `outboxRelay`) and the API keys (with `apiKeys`).
   */
  adminToken?: string;
  /** What `/readyz` checks, each failing until the service runs (`kit.running()`); default its database. */
  readiness?: ReadinessCheck[];
  /** What the service opened outside start (Redis, an HTTP agent): closed after Kafka, before the database. */
  closers?: StopStep[];
  /** Fields of the "started" line. */
  startedLog?(running: Running<P, Parts>): Record<string, unknown>;
}

export interface DefinedService<P, Parts> extends ServiceHandle {
  readonly logger: Logger;
  running(): Running<P, Parts> | undefined;
  /** Brings the service up in order; when a step fails, stops what had started and rejects. */
  start(): Promise<void>;
  /** Stops in order, each step bounded by `stopStepTimeoutMs`. Idempotent. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /**
   * Bound on each step of stop. Default 5 s: a healthy step takes well under one (a consumer's
   * stop waits for its fetch, at most 500 ms), and Kubernetes' 30 s grace then still leaves the
   * steps after a stuck one their time before SIGKILL.
   */
  stopStepTimeoutMs?: number;
}

/** A service's consumer group: `order-service`, `outbound-dispatch-service`. */
export function groupIdOf(name: string): string {
  return `${name}-service`;
}

/**
 * A service's start and stop, declared once for all five: open the database (migrations), its
 * Prisma client and API keys, ensure the topics, start the outbox relay, build the parts, start
 * the workers, run the consumer, then answer `/readyz`. Stop goes back down: consumer, workers,
 * relay, producer, Kafka, the service's own closers, Prisma, the database.
 */
export function defineService<P extends ServicePrisma, Parts = Record<string, never>>(
  identity: ServiceIdentity,
  define: (kit: ServiceKit<P, Parts>) => ServiceDefinition<P, Parts>,
  options: ServiceOptions = {},
): DefinedService<P, Parts> {
  const { name, config } = identity;
  const origin = identity.origin ?? ORIGIN_SERVICES.find((service) => service === name);
  if (!origin) throw new Error(`${name} is not a service of the one origin; say its origin name`);
  const logger = identity.logger ?? createLogger({ name, level: config.LOG_LEVEL });
  const registry = createMetricsRegistry({ service: name });
  const bus = createBus({ ...kafkaOptions(config), clientId: name, logger, registry });
  const producer = bus.createProducer();

  let opened: Opened<P> | undefined;
  let running: Running<P, Parts> | undefined;
  const kit: ServiceKit<P, Parts> = { logger, registry, producer, running: () => running, opened: () => opened };
  const definition = define(kit);

  // What has started so far, for the stop ladder; filled in as start goes.
  let database: Database | undefined;
  let prisma: P | undefined;
  let relay: OutboxRelay | undefined;
  const workers: Worker[] = [];
  let consumer: ConsumerRunner | undefined;
  let opening: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;

  const app = createHttpApp({
    service: origin,
    logger,
    registry,
    metricsToken: config.METRICS_TOKEN,
    publicMetrics: config.METRICS_PUBLIC,
    trustProxy: config.TRUST_PROXY,
    // Not ready before start has brought everything up, nor once stop has begun.
    readiness: definition.readiness ?? [databaseReadiness(() => running?.prisma)],
    routes: (express) => {
      serveOpenApi(express, definition.openApi, origin);
      definition.routes(express);
      const token = definition.adminToken;
      if (token === undefined) return;
      if (definition.outboxRelay) {
        outboxAdminRoutes({ outbox: () => (running ? setAsideOutboxOf(running.database.sql) : undefined), notify: () => running?.relay?.notify(), service: origin })(express);
      }
      if (definition.database.apiKeys) apiKeyAdminRoutes({ token, store: () => running?.prisma as (P & ApiKeyStore) | undefined, service: origin })(express);
    },
  });

  const notStopping = () => {
    if (stopping) throw new Error(`${name} is stopped`);
  };

  async function open(): Promise<void> {
    database = await openDatabase({ url: definition.database.url, dataDir: config.DATA_DIR, name, migrationsDir: definition.database.migrationsDir, logger });
    prisma = definition.database.client(database.adapter);
    if (definition.database.apiKeys) await bootstrapApiKeys(prisma as P & ApiKeyStore, definition.database.apiKeys);
    notStopping();
    const { ensure, withDeadLetters, inBackground } = definition.topics;
    const topics = bus.ensureTopics(ensure.map((topic) => ({ topic })), { withDeadLetters });
    if (inBackground) {
      // kafkajs retries for ~10 s; producing creates the topics anyway.
      void topics.catch((err: unknown) => logger.warn({ err }, 'could not ensure topics at start-up; producing will create them'));
    } else {
      await topics;
    }
    if (definition.outboxRelay) relay = startOutboxRelay({ db: database, logger, registry, publish: (records) => sendEach(producer, records) });
    opened = { database, prisma, sql: rawClient(database.sql), relay };
    const parts = definition.parts ? await definition.parts(opened) : ({} as Parts);
    const assembled: Running<P, Parts> = { ...opened, parts };
    for (const worker of definition.workers?.(assembled) ?? []) {
      notStopping();
      await worker.start?.();
      workers.push(worker);
    }
    notStopping();
    if (definition.consumer) {
      consumer = await bus.runConsumer({
        // A database outage pauses the partition; the message waits instead of dead-lettering.
        unavailable: databaseOutage,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT,
        ...definition.consumer(assembled),
        topics: [...(definition.reads ?? [])],
        groupId: groupIdOf(name),
      });
    }
    notStopping();
    running = assembled;
    logger.info({ database: database.kind, ...definition.startedLog?.(assembled) }, `${name} service started`);
  }

  const ladder = (): StopStep[] => [
    { name: 'consumer', stop: () => consumer?.stop() },
    ...[...workers].reverse(),
    { name: 'outbox relay', stop: () => relay?.stop() },
    { name: 'producer', stop: () => producer.close() },
    { name: 'Kafka client', stop: () => bus.close() },
    ...(definition.closers ?? []),
    {
      name: 'Prisma client',
      stop: () => {
        opened = undefined;
        return prisma?.$disconnect();
      },
    },
    { name: 'database', stop: () => database?.close() },
  ];

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      running = undefined;
      // A stop during start first lets start reach its next step, where it gives up.
      const timeoutMs = options.stopStepTimeoutMs ?? 5_000;
      await stopInOrder([{ name: 'start', stop: () => opening?.catch(() => undefined) }], timeoutMs, logger);
      await stopInOrder(ladder(), timeoutMs, logger);
      logger.info(`${name} service stopped`);
    })();
    return stopping;
  };

  return {
    app,
    registry,
    logger,
    running: () => running,
    async start() {
      notStopping();
      opening = open();
      try {
        await opening;
      } catch (err) {
        await stop();
        throw err;
      }
    },
    stop,
  };
}
