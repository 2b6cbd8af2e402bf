import * as path from 'node:path';
import { Topics } from '@orderflow/events';
import type { Logger } from '@orderflow/logging';
import type { ServiceHandle } from '@orderflow/http';
import { defineService, groupIdOf } from '@orderflow/service';
import { adminRoutes } from './api/admin.routes';
import { customerRoutes } from './api/customer.routes';
import { fulfillmentApiDocument } from './api/openapi';
import type { FulfillmentConfig } from './config';
import { ordersBatchHandler, ordersHandler, type OrdersConsumerDeps } from './consumers/orders.consumer';
import { LicenseCipher } from './adapters/license-cipher';
import { TicketSigner } from './adapters/ticket-signer';
import { PrismaClient } from './generated/prisma/client';
import { FulfillmentMetrics } from './metrics';
import { Fulfiller } from './use-cases/fulfill-order';
import { poolCounts } from './use-cases/license-pools';
import { JobRunner } from './use-cases/run-due-jobs';

export interface FulfillmentServiceDeps {
  logger?: Logger;
}

export interface FulfillmentService extends ServiceHandle {
  /** Stops consuming and running jobs, drains the relay, closes Kafka and the database. Idempotent. */
  stop(): Promise<void>;
}

export const FULFILLMENT_GROUP = groupIdOf('fulfillment');
/** What the group reads: orders ready to fulfill, refunded or cancelled. */
export const FULFILLMENT_READS = [Topics.orders] as const;

/** Builds the fulfillment service without listening: main.ts and the one-machine mode do that. */
export function buildFulfillmentService(config: FulfillmentConfig, deps: FulfillmentServiceDeps = {}): FulfillmentService {
  return defineService<PrismaClient, { runner: JobRunner }>({ name: 'fulfillment', config, logger: deps.logger }, ({ registry, logger, running }) => {
    const metrics = new FulfillmentMetrics(registry);
    const signer = new TicketSigner(config.TICKET_SIGNING_KEY);
    const cipher = new LicenseCipher(config.LICENSE_ENCRYPTION_KEY);
    const fulfiller = new Fulfiller(signer, metrics);
    const prisma = () => running()?.prisma;
    return {
      database: { url: config.FULFILLMENT_DATABASE_URL, migrationsDir: path.join(__dirname, '..', 'prisma', 'migrations'), client: (adapter) => new PrismaClient({ adapter }), apiKeys: config.API_KEYS },
      topics: { ensure: [Topics.orders, Topics.fulfillment], withDeadLetters: true },
      outboxRelay: true,
      parts: async ({ prisma, sql, relay }) => {
        await poolCounts(prisma, metrics);
        const runner = new JobRunner({
          prisma,
          sql,
          fulfiller,
          relay: relay!,
          metrics,
          logger,
          maxAttempts: config.FULFILLMENT_MAX_ATTEMPTS,
          retryBaseMs: config.FULFILLMENT_RETRY_BASE,
          retryMaxMs: config.FULFILLMENT_RETRY_MAX,
          pollIntervalMs: config.FULFILLMENT_POLL_INTERVAL,
          lockTimeoutMs: config.FULFILLMENT_LOCK_TIMEOUT,
        });
        return { runner };
      },
      workers: ({ parts: { runner } }) => [{ name: 'job runner', start: () => runner.start(), stop: () => runner.stop() }],
      reads: FULFILLMENT_READS,
      consumer: ({ sql, relay, parts: { runner } }) => {
        const orders: OrdersConsumerDeps = {
          sql: () => sql,
          fulfiller,
          metrics,
          logger,
          lockTimeoutMs: config.FULFILLMENT_LOCK_TIMEOUT,
          jobsDue: () => runner.notify(),
          published: () => relay?.notify(),
        };
        return { handler: ordersHandler(orders), batchHandler: ordersBatchHandler(orders) };
      },
      openApi: fulfillmentApiDocument(),
      routes: (express) => {
        customerRoutes({ prisma, signer, cipher })(express);
        adminRoutes({ token: config.ADMIN_TOKEN, prisma, cipher, signer, metrics, runner: () => running()?.parts.runner })(express);
      },
      adminToken: config.ADMIN_TOKEN,
    };
  });
}
