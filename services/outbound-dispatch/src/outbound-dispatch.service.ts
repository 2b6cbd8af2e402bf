import * as path from 'node:path';
import { Topics } from '@orderflow/events';
import type { Logger } from '@orderflow/logging';
import type { ServiceHandle } from '@orderflow/http';
import { defineService, groupIdOf } from '@orderflow/service';
import { adminRoutes } from './api/admin.routes';
import { subscriptionRoutes } from './api/subscriptions.routes';
import { dispatchApiDocument } from './api/openapi';
import type { DispatchConfig } from './config';
import { intakeBatchHandler, intakeHandler } from './consumers/orders-and-fulfillment.consumer';
import { PrismaClient } from './generated/prisma/client';
import { DispatchMetrics } from './metrics';
import { Sender } from './adapters/sender';
import { OutboundPolicy } from './adapters/url-safety';
import { Dispatcher } from './use-cases/dispatcher';

export interface DispatchServiceDeps {
  logger?: Logger;
  /** Milliseconds since the epoch; tests inject one to cross hours of retry schedule. */
  clock?: () => number;
}

export interface DispatchService extends ServiceHandle {
  stop(): Promise<void>;
}

export const DISPATCH_GROUP = groupIdOf('outbound-dispatch');
/** What the group reads: every event a partner may subscribe to. */
export const DISPATCH_READS = [Topics.orders, Topics.fulfillment] as const;
/**
 * The group's name until it took the `<name>-service` form of the others: an upgraded deployment
 * starts where this one committed (see `ConsumerOptions.formerGroupId`).
 */
export const FORMER_DISPATCH_GROUP = 'outbound-dispatch';

/** Builds the outbound-dispatch service without listening. */
export function buildDispatchService(config: DispatchConfig, deps: DispatchServiceDeps = {}): DispatchService {
  return defineService<PrismaClient, { dispatcher: Dispatcher }>({ name: 'outbound-dispatch', origin: 'dispatch', config, logger: deps.logger }, ({ registry, logger, running, opened }) => {
    const policy = new OutboundPolicy(config.OUTBOUND_ALLOWED_HOSTS);
    const sender = new Sender(policy, config.DISPATCH_TIMEOUT);
    const metrics = new DispatchMetrics(registry, () => opened()?.prisma);
    const prisma = () => running()?.prisma;
    const dispatcher = () => running()?.parts.dispatcher;
    return {
      database: { url: config.DISPATCH_DATABASE_URL, migrationsDir: path.join(__dirname, '..', 'prisma', 'migrations'), client: (adapter) => new PrismaClient({ adapter }), apiKeys: config.API_KEYS },
      topics: { ensure: [Topics.orders, Topics.fulfillment, Topics.operations], withDeadLetters: true },
      outboxRelay: true,
      parts: ({ prisma, database, relay }) => ({
        dispatcher: new Dispatcher({
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
        }),
      }),
      workers: ({ parts: { dispatcher } }) => [{ name: 'dispatcher', start: () => dispatcher.start(), stop: () => dispatcher.stop() }],
      reads: DISPATCH_READS,
      consumer: ({ database, parts: { dispatcher } }) => {
        const intakeDeps = { sql: () => database.sql, deliveriesDue: () => dispatcher.notify() };
        return { formerGroupId: FORMER_DISPATCH_GROUP, handler: intakeHandler(intakeDeps), batchHandler: intakeBatchHandler(intakeDeps) };
      },
      openApi: dispatchApiDocument(),
      routes: (express) => {
        subscriptionRoutes({ prisma, policy, dispatcher })(express);
        adminRoutes({ token: config.ADMIN_TOKEN, prisma, dispatcher })(express);
      },
      adminToken: config.ADMIN_TOKEN,
      closers: [{ name: 'sender', stop: () => sender.close() }],
      startedLog: () => ({ allowedHosts: config.OUTBOUND_ALLOWED_HOSTS.length }),
    };
  });
}
