import * as path from 'node:path';
import { kafkaOptions } from '@orderflow/config';
import { databaseOutage, openDatabase, rawClient, setAsideOutboxOf, startOutboxRelay, type Database, type OutboxRelay } from '@orderflow/db';
import { Topics } from '@orderflow/events';
import { apiKeyAdminRoutes, bootstrapApiKeys, createHttpApp, databaseReadiness, outboxAdminRoutes, serveOpenApi, type ServiceHandle } from '@orderflow/http';
import { createBus, sendEach, type Bus, type ConsumerRunner } from '@orderflow/kafka';
import { createLogger, type Logger } from '@orderflow/logging';
import { createMetricsRegistry, type Registry } from '@orderflow/metrics';
import { adminRoutes } from './api/admin.routes';
import { checkoutRoutes } from './api/checkout.routes';
import { externalRoutes } from './api/external.routes';
import { orderApiDocument } from './api/openapi';
import { checkoutHealthRoutes } from './api/health.routes';
import { CheckoutService } from './use-cases/checkout.service';
import type { OrderConfig } from './config';
import { OrderBook } from './data/order-book';
import { PrismaClient } from './generated/prisma/client';
import { orderBatchHandler, orderEventHandler, type OrderConsumerDeps } from './consumers/event-runs';
import { StripeHandler } from './consumers/stripe-ingress.consumer';
import { WixHandler } from './consumers/wix-ingress.consumer';
import { OrderMetrics } from './order.metrics';
import { StripeGateway } from './stripe.gateway';
import { Checkouts } from './use-cases/checkouts';
import { Payments } from './use-cases/payments';
import { Places } from './use-cases/places';

export interface OrderServiceDeps {
  logger?: Logger;
  registry?: Registry;
  bus?: Bus;
}

export interface OrderService extends ServiceHandle {
  /** Opens the database (migrations), starts the outbox relay, the consumers and the lock sweeper. */
  start(): Promise<void>;
  /** Stops consuming and sweeping, drains the relay, closes Kafka and the database. Idempotent. */
  stop(): Promise<void>;
  /** Ends checkouts whose lock expired now, rather than at the next sweep. */
  sweepExpiredCheckouts(): Promise<number>;
}

const MIGRATIONS_DIR = path.join(__dirname, '..', 'prisma', 'migrations');
/** The consumer group reading provider events and fulfillment outcomes. */
export const ORDER_GROUP = 'order-service';

/** Builds the order service without listening: main.ts and the one-machine mode do that. */
export function buildOrderService(config: OrderConfig, deps: OrderServiceDeps = {}): OrderService {
  const logger = deps.logger ?? createLogger({ name: 'order', level: config.LOG_LEVEL });
  const registry = deps.registry ?? createMetricsRegistry({ service: 'order' });
  const metrics = new OrderMetrics(registry);
  const ownBus = !deps.bus;
  const bus = deps.bus ?? createBus({ ...kafkaOptions(config), clientId: 'order', logger, registry });
  const producer = bus.createProducer();
  const stripe = config.STRIPE_SECRET_KEY
    ? new StripeGateway({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE, timeoutMs: config.STRIPE_TIMEOUT }, registry)
    : undefined;

  const book = new OrderBook(metrics);
  const places = new Places(book, metrics);
  const checkouts = new Checkouts(book, metrics);
  const payments = new Payments(book, places, checkouts, metrics, { autoApproveInstances: config.AUTO_APPROVE_INSTANCES });

  let database: Database | undefined;
  let prisma: PrismaClient | undefined;
  let relay: OutboxRelay | undefined;
  let consumer: ConsumerRunner | undefined;
  let checkout: CheckoutService | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let stopping: Promise<void> | undefined;

  const app = createHttpApp({
    service: 'order',
    logger,
    registry,
    metricsToken: config.METRICS_TOKEN,
    publicMetrics: config.METRICS_PUBLIC,
    trustProxy: config.TRUST_PROXY,
    readiness: [databaseReadiness(() => prisma)],
    routes: (express) => {
      serveOpenApi(express, orderApiDocument(), 'order');
      checkoutHealthRoutes({ prisma: () => prisma, stuckAfterMs: config.CHECKOUT_STUCK_AFTER, expiredWarnAt: 10 })(express);
      checkoutRoutes({ prisma: () => prisma, checkout: () => checkout, metrics })(express);
      externalRoutes({ prisma: () => prisma })(express);
      adminRoutes({ token: config.ADMIN_TOKEN, prisma: () => prisma, book, payments, stripe, relay: () => relay })(express);
      outboxAdminRoutes({ outbox: () => (database ? setAsideOutboxOf(database.sql) : undefined), notify: () => relay?.notify(), service: 'order' })(express);
      apiKeyAdminRoutes({ token: config.ADMIN_TOKEN, store: () => prisma, service: 'order' })(express);
    },
  });

  const sweep = async (): Promise<number> => {
    if (!checkout) return 0;
    try {
      return await checkout.sweepExpired();
    } catch (err) {
      logger.warn({ err }, 'checkout lock sweep failed; retrying at the next interval');
      return 0;
    }
  };

  return {
    app,
    registry,
    sweepExpiredCheckouts: sweep,
    async start() {
      database = await openDatabase({ url: config.ORDER_DATABASE_URL, dataDir: config.DATA_DIR, name: 'order', migrationsDir: MIGRATIONS_DIR, logger });
      prisma = new PrismaClient({ adapter: database.adapter });
      await bootstrapApiKeys(prisma, config.API_KEYS);
      relay = startOutboxRelay({
        db: database,
        logger,
        registry,
        publish: (records) => sendEach(producer, records),
      });
      checkout = new CheckoutService({ prisma, book, places, payments, checkouts, stripe, relay, metrics, logger, lockTtlMs: config.CHECKOUT_LOCK_TTL });
      await bus.ensureTopics([{ topic: Topics.stripeIngress }, { topic: Topics.wixIngress }, { topic: Topics.fulfillment }, { topic: Topics.orders }], { withDeadLetters: true });
      const sql = rawClient(database.sql);
      const consumerDeps: OrderConsumerDeps = { sql: () => sql, book, stripe: new StripeHandler(book, payments), wix: new WixHandler(book, payments), relay: () => relay };
      consumer = await bus.runConsumer({
        // A database outage pauses the partition; the message waits instead of dead-lettering.
        unavailable: databaseOutage,
        groupId: ORDER_GROUP,
        topics: [Topics.stripeIngress, Topics.wixIngress, Topics.fulfillment],
        handler: orderEventHandler(consumerDeps),
        // A fetched batch's events go through in runs, one transaction each; a run that fails is
        // handled again one event at a time. Runs stay short: they hold their orders' locks.
        batchHandler: orderBatchHandler(consumerDeps),
        maxBatchSize: 100,
        // Every partition of the three topics at once: a payment run never waits behind a
        // fulfillment run. Runs lock orders in key order, so they cannot deadlock one another.
        partitionsConsumedConcurrently: 9,
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT,
      });
      sweeper = setInterval(() => void sweep(), config.CHECKOUT_SWEEP_INTERVAL);
      sweeper.unref();
      logger.info({ database: database.kind, stripe: Boolean(stripe) }, 'order service started');
    },
    stop() {
      stopping ??= (async () => {
        if (sweeper) clearInterval(sweeper);
        checkout = undefined;
        await consumer?.stop().catch((err: unknown) => logger.warn({ err }, 'consumer did not stop cleanly'));
        await relay?.stop().catch((err: unknown) => logger.warn({ err }, 'outbox relay did not stop cleanly'));
        await producer.close().catch((err: unknown) => logger.warn({ err }, 'producer did not flush cleanly'));
        if (ownBus) await bus.close().catch((err: unknown) => logger.warn({ err }, 'bus did not close cleanly'));
        stripe?.shutdown();
        const client = prisma;
        prisma = undefined;
        await client?.$disconnect();
        await database?.close();
        logger.info('order service stopped');
      })();
      return stopping;
    },
  };
}
