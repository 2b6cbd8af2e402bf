import * as path from 'node:path';
import { createDedupeStore, type DedupeStore } from '@orderflow/dedupe';
import { Topics } from '@orderflow/events';
import type { Logger } from '@orderflow/logging';
import type { ServiceHandle } from '@orderflow/http';
import { defineService } from '@orderflow/service';
import Redis from 'ioredis';
import { adminRoutes } from './api/admin.routes';
import { ingressApiDocument } from './api/openapi';
import { createRateLimiter, refusalLimiter } from './api/rate-limit';
import { webhookRoutes } from './api/webhook.routes';
import type { IngressConfig } from './config';
import { EventLog } from './data/event-log';
import { WixVerifier } from './domain/wix.verifier';
import { PrismaClient } from './generated/prisma/client';
import { IngressMetrics } from './metrics';
import { WebhookIntake } from './use-cases/receive-webhook';
import { SignatureFailureReporter } from './use-cases/report-signature-failures';

export interface IngressDeps {
  logger?: Logger;
}

export interface Ingress extends ServiceHandle {
  /** Opens the database (migrations), Redis and Kafka. The app answers 503 until it resolves. */
  start(): Promise<void>;
  /** Flushes the producer, closes Kafka, Redis and the database. Stop the HTTP server first. Idempotent. */
  stop(): Promise<void>;
}

/** Builds the ingress without starting a process or listening: main.ts and the one-machine mode do that. */
export function buildIngress(config: IngressConfig, deps: IngressDeps = {}): Ingress {
  return defineService<PrismaClient, { log: EventLog; intake: WebhookIntake; wix: WixVerifier | undefined }>(
    { name: 'ingress', config, logger: deps.logger },
    ({ registry, logger, producer, running }) => {
      const metrics = new IngressMetrics(registry);
      const signatureFailures = new SignatureFailureReporter(producer, logger, config.SIGNATURE_ALERT_WINDOW);
      const redisError = (err: Error) => logger.warn({ err: err.message }, 'redis error');
      const dedupe: DedupeStore = createDedupeStore({ redisUrl: config.REDIS_URL, keyPrefix: `${config.REDIS_KEY_PREFIX}dedupe:`, onError: redisError });
      // The rate limiter's own client, tuned like the dedupe store's: fail fast, never queue.
      const limiterRedis = config.REDIS_URL
        ? new Redis(config.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1_000, commandTimeout: 300, lazyConnect: false })
        : undefined;
      limiterRedis?.on('error', redisError);
      const refusals = config.RATE_LIMIT_ENABLED
        ? refusalLimiter(createRateLimiter({ points: config.RATE_LIMIT_POINTS, windowMs: config.RATE_LIMIT_WINDOW, keyPrefix: `${config.REDIS_KEY_PREFIX}rate`, redis: limiterRedis }))
        : undefined;
      const wix = () => running()?.parts.wix;
      // Kept past the beginning of stop, which waits for its marks.
      let intake: WebhookIntake | undefined;
      return {
        database: { url: config.INGRESS_DATABASE_URL, migrationsDir: path.join(__dirname, '..', 'prisma', 'migrations'), client: (adapter) => new PrismaClient({ adapter }) },
        // Kafka being down must neither stop nor delay start-up: webhooks answer 503 until it is
        // back, and producing creates the topics anyway.
        topics: { ensure: [Topics.stripeIngress, Topics.wixIngress], inBackground: true },
        parts: async ({ prisma, database }) => {
          // A `received` row older than two deadlines was abandoned by a crashed attempt.
          const log = new EventLog(prisma, database.sql, 2 * config.PUBLISH_DEADLINE + 1_000);
          intake = new WebhookIntake({ log, producer, dedupe, metrics, dedupeTtlMs: config.DEDUPE_TTL });
          return { log, intake, wix: config.WIX_PUBLIC_KEY ? await WixVerifier.create(config.WIX_PUBLIC_KEY) : undefined };
        },
        workers: () => [{ name: 'signature failure alerts', stop: () => signatureFailures.stop() }],
        readiness: [
          {
            name: 'database',
            check: async () => {
              const log = running()?.parts.log;
              if (!log) throw new Error('not started');
              await log.ping();
            },
          },
        ],
        openApi: ingressApiDocument(),
        routes: (express) => {
          webhookRoutes({
            metrics,
            intake: () => running()?.parts.intake,
            wix,
            wixEnabled: config.WIX_PUBLIC_KEY !== undefined,
            stripeSecrets: config.STRIPE_WEBHOOK_SECRET,
            stripeDeadlineMs: config.PUBLISH_DEADLINE,
            wixDeadlineMs: Math.min(config.WIX_PUBLISH_DEADLINE, config.PUBLISH_DEADLINE),
            refusals,
            onSignatureFailure: (source, reason) => signatureFailures.record(source, reason),
          })(express);
          adminRoutes({ token: config.ADMIN_TOKEN, log: () => running()?.parts.log, producer, publishDeadlineMs: config.PUBLISH_DEADLINE, wix })(express);
        },
        closers: [
          // After the producer's flush: acknowledged events are marked published before the database closes.
          { name: 'event log marks', stop: () => intake?.drain() },
          { name: 'dedupe store', stop: () => dedupe.close() },
          { name: 'rate limiter redis', stop: () => limiterRedis?.disconnect() },
        ],
        startedLog: ({ parts }) => ({ wix: Boolean(parts.wix), redis: Boolean(config.REDIS_URL) }),
      };
    },
  );
}
