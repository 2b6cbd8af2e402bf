import * as path from 'node:path';
import { kafkaOptions } from '@orderflow/config';
import { createDedupeStore, type DedupeStore } from '@orderflow/dedupe';
import { openDatabase, type Database } from '@orderflow/db';
import { Topics } from '@orderflow/events';
import { createHttpApp, serveOpenApi } from '@orderflow/http';
import { createBus, type Bus } from '@orderflow/kafka';
import { createLogger, type Logger } from '@orderflow/logging';
import { createMetricsRegistry, type Registry } from '@orderflow/metrics';
import type { Express } from 'express';
import Redis from 'ioredis';
import { adminRoutes } from './api/admin.routes';
import type { IngressConfig } from './config';
import { EventLog } from './data/event-log';
import { PrismaClient } from './generated/prisma/client';
import { IngressMetrics } from './ingress.metrics';
import { ingressApiDocument } from './api/openapi';
import { createRateLimiter, refusalLimiter } from './api/rate-limit';
import { SignatureFailureReporter } from './use-cases/report-signature-failures';
import { webhookRoutes } from './api/webhook.routes';
import { WebhookIntake } from './use-cases/receive-webhook';
import { WixVerifier } from './domain/wix.verifier';

export interface IngressDeps {
  logger?: Logger;
  /** The one-machine mode passes its own so every service shares one `/metrics`. */
  registry?: Registry;
  bus?: Bus;
}

export interface Ingress {
  readonly app: Express;
  readonly registry: Registry;
  /** Opens the database (migrations), Redis and Kafka. The app answers 503 until it resolves. */
  start(): Promise<void>;
  /** Flushes the producer, closes Kafka, Redis and the database. Stop the HTTP server first. Idempotent. */
  stop(): Promise<void>;
}

const MIGRATIONS_DIR = path.join(__dirname, '..', 'prisma', 'migrations');

/** Builds the ingress without starting a process or listening: main.ts and the one-machine mode do that. */
export function buildIngress(config: IngressConfig, deps: IngressDeps = {}): Ingress {
  const logger = deps.logger ?? createLogger({ name: 'ingress', level: config.LOG_LEVEL });
  const registry = deps.registry ?? createMetricsRegistry({ service: 'ingress' });
  const metrics = new IngressMetrics(registry);
  const ownBus = !deps.bus;
  const bus = deps.bus ?? createBus({ ...kafkaOptions(config), clientId: 'ingress', logger, registry });
  const producer = bus.createProducer();
  const signatureFailures = new SignatureFailureReporter(producer, logger, config.SIGNATURE_ALERT_WINDOW);
  const redisError = (err: Error) => logger.warn({ err: err.message }, 'redis error');
  const dedupe: DedupeStore = createDedupeStore({ redisUrl: config.REDIS_URL, keyPrefix: `${config.REDIS_KEY_PREFIX}dedupe:`, onError: redisError });
  // The rate limiter's own client, tuned like the dedupe store's: fail fast, never queue.
  const limiterRedis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1_000, commandTimeout: 300, lazyConnect: false })
    : undefined;
  limiterRedis?.on('error', redisError);

  let database: Database | undefined;
  let prisma: PrismaClient | undefined;
  let log: EventLog | undefined;
  let intake: WebhookIntake | undefined;
  let wix: WixVerifier | undefined;
  let stopping: Promise<void> | undefined;

  const refusals = config.RATE_LIMIT_ENABLED
    ? refusalLimiter(createRateLimiter({ points: config.RATE_LIMIT_POINTS, windowMs: config.RATE_LIMIT_WINDOW, keyPrefix: `${config.REDIS_KEY_PREFIX}rate`, redis: limiterRedis }))
    : undefined;

  const app = createHttpApp({
    service: 'ingress',
    logger,
    registry,
    metricsToken: config.METRICS_TOKEN,
    publicMetrics: config.METRICS_PUBLIC,
    trustProxy: config.TRUST_PROXY,
    readiness: [
      { name: 'database', check: async () => (log ? log.ping() : Promise.reject(new Error('not started'))) },
    ],
    routes: (express) => {
      serveOpenApi(express, ingressApiDocument(), 'ingress');
      webhookRoutes({
        metrics,
        intake: () => intake,
        wix: () => wix,
        wixEnabled: config.WIX_PUBLIC_KEY !== undefined,
        stripeSecrets: config.STRIPE_WEBHOOK_SECRET,
        stripeDeadlineMs: config.PUBLISH_DEADLINE,
        wixDeadlineMs: Math.min(config.WIX_PUBLISH_DEADLINE, config.PUBLISH_DEADLINE),
        refusals,
        onSignatureFailure: (source, reason) => signatureFailures.record(source, reason),
      })(express);
      adminRoutes({ token: config.ADMIN_TOKEN, log: () => log, producer, publishDeadlineMs: config.PUBLISH_DEADLINE, wix: () => wix })(express);
    },
  });

  return {
    app,
    registry,
    async start() {
      if (config.WIX_PUBLIC_KEY) wix = await WixVerifier.create(config.WIX_PUBLIC_KEY);
      database = await openDatabase({ url: config.INGRESS_DATABASE_URL, dataDir: config.DATA_DIR, name: 'ingress', migrationsDir: MIGRATIONS_DIR, logger });
      prisma = new PrismaClient({ adapter: database.adapter });
      // A `received` row older than two deadlines was abandoned by a crashed attempt.
      log = new EventLog(prisma, database.sql, 2 * config.PUBLISH_DEADLINE + 1_000);
      // Not awaited: Kafka being down must neither stop nor delay start-up (kafkajs retries for
      // ~10 s); webhooks answer 503 until it is back, and producing creates the topics anyway.
      void bus.ensureTopics([{ topic: Topics.stripeIngress }, { topic: Topics.wixIngress }]).catch((err: unknown) =>
        logger.warn({ err }, 'could not ensure topics at start-up; producing will create them'),
      );
      intake = new WebhookIntake({ log, producer, dedupe, metrics, dedupeTtlMs: config.DEDUPE_TTL });
      logger.info({ wix: Boolean(wix), redis: Boolean(config.REDIS_URL), database: database.kind }, 'ingress started');
    },
    stop() {
      stopping ??= (async () => {
        const draining = intake;
        intake = undefined;
        await signatureFailures.stop();
        await producer.close().catch((err: unknown) => logger.warn({ err }, 'producer did not flush cleanly'));
        // Acknowledged events are marked published before the database closes.
        await draining?.drain();
        if (ownBus) await bus.close().catch((err: unknown) => logger.warn({ err }, 'bus did not close cleanly'));
        await dedupe.close().catch(() => undefined);
        limiterRedis?.disconnect();
        log = undefined;
        await prisma?.$disconnect();
        await database?.close();
        logger.info('ingress stopped');
      })();
      return stopping;
    },
  };
}
