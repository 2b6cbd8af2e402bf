import * as path from 'node:path';
import { kafkaOptions } from '@orderflow/config';
import { databaseOutage, openDatabase, rawClient, setAsideOutboxOf, startOutboxRelay, type Database, type OutboxRelay } from '@orderflow/db';
import { Topics } from '@orderflow/events';
import { apiKeyAdminRoutes, bootstrapApiKeys, createHttpApp, databaseReadiness, outboxAdminRoutes, serveOpenApi, type ServiceHandle } from '@orderflow/http';
import { createBus, sendEach, type Bus, type ConsumerRunner } from '@orderflow/kafka';
import { createLogger, type Logger } from '@orderflow/logging';
import { createMetricsRegistry, type Registry } from '@orderflow/metrics';
import { adminRoutes } from './api/admin.routes';
import { customerRoutes } from './api/customer.routes';
import { fulfillmentApiDocument } from './api/openapi';
import type { FulfillmentConfig } from './config';
import { ordersBatchHandler, ordersHandler, type OrdersConsumerDeps } from './consumers/orders.consumer';
import { LicenseCipher } from './crypto/license-cipher';
import { TicketSigner } from './crypto/ticket-signer';
import { FulfillmentMetrics } from './fulfillment.metrics';
import { PrismaClient } from './generated/prisma/client';
import { Fulfiller } from './use-cases/fulfill-order';
import { poolCounts } from './use-cases/license-pools';
import { JobRunner } from './use-cases/run-due-jobs';

export interface FulfillmentServiceDeps {
  logger?: Logger;
  registry?: Registry;
  bus?: Bus;
}

export interface FulfillmentService extends ServiceHandle {
  /** Stops consuming and running jobs, drains the relay, closes Kafka and the database. Idempotent. */
  stop(): Promise<void>;
}

const MIGRATIONS_DIR = path.join(__dirname, '..', 'prisma', 'migrations');
export const FULFILLMENT_GROUP = 'fulfillment-service';

/** Builds the fulfillment service without listening: main.ts and the one-machine mode do that. */
export function buildFulfillmentService(config: FulfillmentConfig, deps: FulfillmentServiceDeps = {}): FulfillmentService {
  const logger = deps.logger ?? createLogger({ name: 'fulfillment', level: config.LOG_LEVEL });
  const registry = deps.registry ?? createMetricsRegistry({ service: 'fulfillment' });
  const metrics = new FulfillmentMetrics(registry);
  const ownBus = !deps.bus;
  const bus = deps.bus ?? createBus({ ...kafkaOptions(config), clientId: 'fulfillment', logger, registry });
  const producer = bus.createProducer();
  const signer = new TicketSigner(config.TICKET_SIGNING_KEY);
  const cipher = new LicenseCipher(config.LICENSE_ENCRYPTION_KEY);
  const fulfiller = new Fulfiller(signer, metrics);

  let database: Database | undefined;
  let prisma: PrismaClient | undefined;
  let relay: OutboxRelay | undefined;
  let runner: JobRunner | undefined;
  let consumer: ConsumerRunner | undefined;
  let stopping: Promise<void> | undefined;

  const app = createHttpApp({
    service: 'fulfillment',
    logger,
    registry,
    metricsToken: config.METRICS_TOKEN,
    publicMetrics: config.METRICS_PUBLIC,
    trustProxy: config.TRUST_PROXY,
    readiness: [databaseReadiness(() => prisma)],
    routes: (express) => {
      serveOpenApi(express, fulfillmentApiDocument(), 'fulfillment');
      customerRoutes({ prisma: () => prisma, signer, cipher })(express);
      adminRoutes({ token: config.ADMIN_TOKEN, prisma: () => prisma, cipher, signer, metrics, runner: () => runner })(express);
      outboxAdminRoutes({ outbox: () => (database ? setAsideOutboxOf(database.sql) : undefined), notify: () => relay?.notify(), service: 'fulfillment' })(express);
      apiKeyAdminRoutes({ token: config.ADMIN_TOKEN, store: () => prisma, service: 'fulfillment' })(express);
    },
  });

  return {
    app,
    registry,
    async start() {
      database = await openDatabase({ url: config.FULFILLMENT_DATABASE_URL, dataDir: config.DATA_DIR, name: 'fulfillment', migrationsDir: MIGRATIONS_DIR, logger });
      prisma = new PrismaClient({ adapter: database.adapter });
      await bootstrapApiKeys(prisma, config.API_KEYS);
      await poolCounts(prisma, metrics);
      relay = startOutboxRelay({
        db: database,
        logger,
        registry,
        publish: (records) => sendEach(producer, records),
      });
      const sql = rawClient(database.sql);
      runner = new JobRunner({
        prisma,
        sql,
        fulfiller,
        relay,
        metrics,
        logger,
        maxAttempts: config.FULFILLMENT_MAX_ATTEMPTS,
        retryBaseMs: config.FULFILLMENT_RETRY_BASE,
        retryMaxMs: config.FULFILLMENT_RETRY_MAX,
        pollIntervalMs: config.FULFILLMENT_POLL_INTERVAL,
        lockTimeoutMs: config.FULFILLMENT_LOCK_TIMEOUT,
      });
      runner.start();
      await bus.ensureTopics([{ topic: Topics.orders }, { topic: Topics.fulfillment }], { withDeadLetters: true });
      const orders: OrdersConsumerDeps = {
        sql: () => sql,
        fulfiller,
        metrics,
        logger,
        lockTimeoutMs: config.FULFILLMENT_LOCK_TIMEOUT,
        jobsDue: () => runner?.notify(),
        published: () => relay?.notify(),
      };
      consumer = await bus.runConsumer({
        // A database outage pauses the partition; the message waits instead of dead-lettering.
        unavailable: databaseOutage,
        groupId: FULFILLMENT_GROUP,
        topics: [Topics.orders],
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT,
        handler: ordersHandler(orders),
        batchHandler: ordersBatchHandler(orders),
      });
      logger.info({ database: database.kind }, 'fulfillment service started');
    },
    stop() {
      stopping ??= (async () => {
        await consumer?.stop().catch((err: unknown) => logger.warn({ err }, 'consumer did not stop cleanly'));
        await runner?.stop();
        await relay?.stop().catch((err: unknown) => logger.warn({ err }, 'outbox relay did not stop cleanly'));
        await producer.close().catch((err: unknown) => logger.warn({ err }, 'producer did not flush cleanly'));
        if (ownBus) await bus.close().catch((err: unknown) => logger.warn({ err }, 'bus did not close cleanly'));
        const client = prisma;
        prisma = undefined;
        await client?.$disconnect();
        await database?.close();
        logger.info('fulfillment service stopped');
      })();
      return stopping;
    },
  };
}
