import * as path from 'node:path';
import { Topics } from '@orderflow/events';
import type { Logger } from '@orderflow/logging';
import type { ServiceHandle } from '@orderflow/http';
import { defineService, groupIdOf } from '@orderflow/service';
import { adminRoutes } from './api/admin.routes';
import { checkoutRoutes } from './api/checkout.routes';
import { externalRoutes } from './api/external.routes';
import { orderApiDocument } from './api/openapi';
import { checkoutHealthRoutes } from './api/health.routes';
import type { OrderConfig } from './config';
import { orderBatchHandler, orderEventHandler, type OrderConsumerDeps } from './consumers/event-runs';
import { StripeHandler } from './consumers/stripe-ingress.consumer';
import { WixHandler } from './consumers/wix-ingress.consumer';
import { OrderBook } from './data/order-book';
import { PrismaClient } from './generated/prisma/client';
import { OrderMetrics } from './metrics';
import { StripeGateway } from './adapters/stripe.gateway';
import { CheckoutService } from './use-cases/checkout.service';
import { Checkouts } from './use-cases/checkouts';
import { Payments } from './use-cases/payments';
import { Places } from './use-cases/places';

export interface OrderServiceDeps {
  logger?: Logger;
}

export interface OrderService extends ServiceHandle {
  /** Opens the database (migrations), starts the outbox relay, the consumers and the lock sweeper. */
  start(): Promise<void>;
  /** Stops consuming and sweeping, drains the relay, closes Kafka and the database. Idempotent. */
  stop(): Promise<void>;
  /** Ends checkouts whose lock expired now, rather than at the next sweep. */
  sweepExpiredCheckouts(): Promise<number>;
}

/** The consumer group reading provider events and fulfillment outcomes. */
export const ORDER_GROUP = groupIdOf('order');
/** What the group reads: the providers' events, and fulfillment's outcomes. */
export const ORDER_READS = [Topics.stripeIngress, Topics.wixIngress, Topics.fulfillment] as const;

/** Builds the order service without listening: main.ts and the one-machine mode do that. */
export function buildOrderService(config: OrderConfig, deps: OrderServiceDeps = {}): OrderService {
  let sweeper: NodeJS.Timeout | undefined;
  const service = defineService<PrismaClient, { checkout: CheckoutService }>({ name: 'order', config, logger: deps.logger }, ({ registry, logger, running }) => {
    const metrics = new OrderMetrics(registry);
    const stripe = config.STRIPE_SECRET_KEY
      ? new StripeGateway({ secretKey: config.STRIPE_SECRET_KEY, apiBase: config.STRIPE_API_BASE, timeoutMs: config.STRIPE_TIMEOUT }, registry)
      : undefined;
    const book = new OrderBook(metrics);
    const places = new Places(book, metrics);
    const checkouts = new Checkouts(book, metrics);
    const payments = new Payments(book, places, checkouts, metrics, { autoApproveInstances: config.AUTO_APPROVE_INSTANCES });
    const prisma = () => running()?.prisma;
    const relay = () => running()?.relay;
    return {
      database: { url: config.ORDER_DATABASE_URL, migrationsDir: path.join(__dirname, '..', 'prisma', 'migrations'), client: (adapter) => new PrismaClient({ adapter }), apiKeys: config.API_KEYS },
      topics: { ensure: [Topics.stripeIngress, Topics.wixIngress, Topics.fulfillment, Topics.orders], withDeadLetters: true },
      outboxRelay: true,
      parts: ({ prisma, relay }) => ({
        checkout: new CheckoutService({ prisma, book, places, payments, checkouts, stripe, relay: relay!, metrics, logger, lockTtlMs: config.CHECKOUT_LOCK_TTL }),
      }),
      workers: () => [
        {
          name: 'checkout lock sweeper',
          start: () => {
            sweeper = setInterval(() => void sweep(), config.CHECKOUT_SWEEP_INTERVAL);
            sweeper.unref();
          },
          stop: () => clearInterval(sweeper),
        },
      ],
      reads: ORDER_READS,
      consumer: ({ sql, relay }) => {
        const consumerDeps: OrderConsumerDeps = { sql: () => sql, book, stripe: new StripeHandler(book, payments), wix: new WixHandler(book, payments), relay: () => relay };
        return {
          handler: orderEventHandler(consumerDeps),
          // A fetched batch's events go through in runs, one transaction each; a run that fails is
          // handled again one event at a time. Runs stay short: they hold their orders' locks.
          batchHandler: orderBatchHandler(consumerDeps),
          maxBatchSize: 100,
          // Every partition of the three topics at once: a payment run never waits behind a
          // fulfillment run. Runs lock orders in key order, so they cannot deadlock one another.
          partitionsConsumedConcurrently: 9,
        };
      },
      openApi: orderApiDocument(),
      routes: (express) => {
        checkoutHealthRoutes({ prisma, stuckAfterMs: config.CHECKOUT_STUCK_AFTER, expiredWarnAt: 10 })(express);
        checkoutRoutes({ prisma, checkout: () => running()?.parts.checkout, metrics })(express);
        externalRoutes({ prisma })(express);
        adminRoutes({ token: config.ADMIN_TOKEN, prisma, book, payments, stripe, relay })(express);
      },
      adminToken: config.ADMIN_TOKEN,
      closers: [{ name: 'Stripe client', stop: () => stripe?.shutdown() }],
      startedLog: () => ({ stripe: Boolean(stripe) }),
    };
  });

  const sweep = async (): Promise<number> => {
    const checkout = service.running()?.parts.checkout;
    if (!checkout) return 0;
    try {
      return await checkout.sweepExpired();
    } catch (err) {
      service.logger.warn({ err }, 'checkout lock sweep failed; retrying at the next interval');
      return 0;
    }
  };

  return { app: service.app, registry: service.registry, start: service.start, stop: service.stop, sweepExpiredCheckouts: sweep };
}
