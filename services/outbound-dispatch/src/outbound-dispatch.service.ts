import * as path from 'node:path';
import { kafkaOptions } from '@orderflow/config';
import { databaseOutage, openDatabase, setAsideOutboxOf, startOutboxRelay, type Database, type OutboxRelay } from '@orderflow/db';
import { Topics } from '@orderflow/events';
import { apiKeyAdminRoutes, bootstrapApiKeys, createHttpApp, databaseReadiness, outboxAdminRoutes, serveOpenApi, type ServiceHandle } from '@orderflow/http';
import { createBus, sendEach, type Bus, type ConsumerRunner } from '@orderflow/kafka';
import { createLogger, type Logger } from '@orderflow/logging';
import { createMetricsRegistry, type Registry } from '@orderflow/metrics';
import { adminRoutes } from './api/admin.routes';
import { subscriptionRoutes } from './api/subscriptions.routes';
import { dispatchApiDocument } from './api/openapi';
import type { DispatchConfig } from './config';
import { intakeBatchHandler, intakeHandler } from './consumers/orders-and-fulfillment.consumer';
import { DispatchMetrics } from './dispatch.metrics';
import { Sender } from './partners/sender';
import { OutboundPolicy } from './partners/url-safety';
import { Dispatcher } from './use-cases/dispatcher';
import { PrismaClient } from './generated/prisma/client';

export interface DispatchServiceDeps {
  logger?: Logger;
  registry?: Registry;
  bus?: Bus;
  /** Milliseconds since the epoch; tests inject one to cross hours of retry schedule. */
  clock?: () => number;
}

export interface DispatchService extends ServiceHandle {
  stop(): Promise<void>;
}

const MIGRATIONS_DIR = path.join(__dirname, '..', 'prisma', 'migrations');
export const DISPATCH_GROUP = 'outbound-dispatch';

/** Builds the outbound-dispatch service without listening. */
export function buildDispatchService(config: DispatchConfig, deps: DispatchServiceDeps = {}): DispatchService {
  const logger = deps.logger ?? createLogger({ name: 'outbound-dispatch', level: config.LOG_LEVEL });
  const registry = deps.registry ?? createMetricsRegistry({ service: 'outbound-dispatch' });
  const ownBus = !deps.bus;
  const bus = deps.bus ?? createBus({ ...kafkaOptions(config), clientId: 'outbound-dispatch', logger, registry });
  const policy = new OutboundPolicy(config.OUTBOUND_ALLOWED_HOSTS);
  const sender = new Sender(policy, config.DISPATCH_TIMEOUT);

  let database: Database | undefined;
  let prisma: PrismaClient | undefined;
  let dispatcher: Dispatcher | undefined;
  let relay: OutboxRelay | undefined;
  const producer = bus.createProducer();
  let consumer: ConsumerRunner | undefined;
  let stopping: Promise<void> | undefined;
  const metrics = new DispatchMetrics(registry, () => prisma);

  const app = createHttpApp({
    service: 'dispatch',
    logger,
    registry,
    metricsToken: config.METRICS_TOKEN,
    publicMetrics: config.METRICS_PUBLIC,
    trustProxy: config.TRUST_PROXY,
    readiness: [databaseReadiness(() => prisma)],
    routes: (express) => {
      serveOpenApi(express, dispatchApiDocument(), 'dispatch');
      subscriptionRoutes({ prisma: () => prisma, policy, dispatcher: () => dispatcher })(express);
      adminRoutes({ token: config.ADMIN_TOKEN, prisma: () => prisma, dispatcher: () => dispatcher })(express);
      outboxAdminRoutes({ outbox: () => (database ? setAsideOutboxOf(database.sql) : undefined), notify: () => relay?.notify(), service: 'dispatch' })(express);
      apiKeyAdminRoutes({ token: config.ADMIN_TOKEN, store: () => prisma, service: 'dispatch' })(express);
    },
  });

  return {
    app,
    registry,
    async start() {
      database = await openDatabase({ url: config.DISPATCH_DATABASE_URL, dataDir: config.DATA_DIR, name: 'outbound-dispatch', migrationsDir: MIGRATIONS_DIR, logger });
      prisma = new PrismaClient({ adapter: database.adapter });
      await bootstrapApiKeys(prisma, config.API_KEYS);
      relay = startOutboxRelay({
        db: database,
        logger,
        registry,
        publish: (records) => sendEach(producer, records),
      });
      dispatcher = new Dispatcher({
        prisma,
        sql: database.sql,
        sender,
        metrics,
        registry,
        logger,
        scheduleMs: config.DISPATCH_RETRY_SCHEDULE,
        jitter: config.DISPATCH_RETRY_JITTER,
        concurrency: config.DISPATCH_CONCURRENCY,
        endpointConcurrency: config.DISPATCH_ENDPOINT_CONCURRENCY,
        disableAfterMs: config.DISPATCH_DISABLE_AFTER,
        breakerResetMs: config.DISPATCH_BREAKER_RESET,
        requestTimeoutMs: config.DISPATCH_TIMEOUT,
        clock: deps.clock,
        published: () => relay?.notify(),
      });
      dispatcher.start();
      await bus.ensureTopics([{ topic: Topics.orders }, { topic: Topics.fulfillment }, { topic: Topics.operations }], { withDeadLetters: true });
      const sql = database.sql;
      const intakeDeps = { sql: () => sql, deliveriesDue: () => dispatcher?.notify() };
      consumer = await bus.runConsumer({
        // A database outage pauses the partition; the message waits instead of dead-lettering.
        unavailable: databaseOutage,
        groupId: DISPATCH_GROUP,
        topics: [Topics.orders, Topics.fulfillment],
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT,
        handler: intakeHandler(intakeDeps),
        batchHandler: intakeBatchHandler(intakeDeps),
      });
      logger.info({ database: database.kind, allowedHosts: config.OUTBOUND_ALLOWED_HOSTS.length }, 'outbound dispatch started');
    },
    stop() {
      stopping ??= (async () => {
        await consumer?.stop().catch((err: unknown) => logger.warn({ err }, 'consumer did not stop cleanly'));
        await dispatcher?.stop();
        sender.close();
        await relay?.stop().catch((err: unknown) => logger.warn({ err }, 'outbox relay did not stop cleanly'));
        await producer.close().catch((err: unknown) => logger.warn({ err }, 'producer did not flush cleanly'));
        if (ownBus) await bus.close().catch((err: unknown) => logger.warn({ err }, 'bus did not close cleanly'));
        const client = prisma;
        prisma = undefined;
        await client?.$disconnect();
        await database?.close();
        logger.info('outbound dispatch stopped');
      })();
      return stopping;
    },
  };
}
