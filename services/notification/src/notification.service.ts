import * as path from 'node:path';
import { kafkaOptions } from '@orderflow/config';
import { databaseOutage, openDatabase, rawClient, type Database, type RawClient } from '@orderflow/db';
import { deadLetterTopic, Topics } from '@orderflow/events';
import { createHttpApp, databaseReadiness, HttpProblem, serveOpenApi, type ServiceHandle } from '@orderflow/http';
import { createBus, type Bus, type ConsumerRunner } from '@orderflow/kafka';
import { createLogger, type Logger } from '@orderflow/logging';
import { createMetricsRegistry, type Registry } from '@orderflow/metrics';
import type { BreakerState } from '@orderflow/resilience';
import { notificationApiDocument } from './api/openapi';
import { adminRoutes } from './api/admin.routes';
import { mailboxRoutes } from './api/mailbox.routes';
import type { Channel, ChannelName } from './channels/channel';
import { EmailChannel } from './channels/email.channel';
import { KeptChannel } from './channels/kept.channel';
import { WebhookChannel } from './channels/webhook.channel';
import type { NotificationConfig } from './config';
import { ChannelWorker } from './use-cases/send-notifications';
import { DailySummary } from './use-cases/daily-summary';
import { eventsHandlers } from './consumers/event-runs';
import { NotificationLog } from './data/notification-log';
import { mailbox, NotificationPlanner } from './domain/notification-planner';
import { PrismaClient } from './generated/prisma/client';
import { AccountLinks } from './channels/messages/account-link';
import { EmailTemplates } from './channels/messages/email-templates';
import { OrderEmails } from './channels/messages/order-emails';
import { NotificationMetrics } from './notification.metrics';

export interface NotificationServiceDeps {
  logger?: Logger;
  registry?: Registry;
  bus?: Bus;
  /** Where the mail templates are; default the package's templates/. */
  templatesDir?: string;
}

export interface NotificationService extends ServiceHandle {
  /** Stops consuming, finishes the sends in flight, closes Kafka and the database. Idempotent. */
  stop(): Promise<void>;
  /** The breaker state of each configured channel. */
  breakers(): Partial<Record<ChannelName, BreakerState>>;
}

const MIGRATIONS_DIR = path.join(__dirname, '..', 'prisma', 'migrations');
export const NOTIFICATION_GROUP = 'notification-service';
/** The topics notified about, and the provider topics whose activity is counted. */
const SOURCE_TOPICS = [Topics.orders, Topics.fulfillment, Topics.operations, Topics.stripeIngress, Topics.wixIngress];

/** Each channel with somewhere to send; with KEEP_UNSENT, the others keep their messages instead. */
function channelsOf(config: NotificationConfig): Channel[] {
  const kept = (name: ChannelName) => (config.KEEP_UNSENT ? [new KeptChannel(name)] : []);
  return [
    ...(config.SMTP_URL && config.MAIL_FROM ? [new EmailChannel({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, timeoutMs: config.SMTP_TIMEOUT, connections: config.SMTP_CONNECTIONS })] : kept('email')),
    ...(config.DISCORD_WEBHOOK_URL ? [new WebhookChannel('discord', config.DISCORD_WEBHOOK_URL, config.WEBHOOK_TIMEOUT)] : kept('discord')),
    ...(config.SLACK_WEBHOOK_URL ? [new WebhookChannel('slack', config.SLACK_WEBHOOK_URL, config.WEBHOOK_TIMEOUT)] : kept('slack')),
  ];
}

/** Builds the notification service without listening: main.ts and the one-machine mode do that. */
export function buildNotificationService(config: NotificationConfig, deps: NotificationServiceDeps = {}): NotificationService {
  const logger = deps.logger ?? createLogger({ name: 'notification', level: config.LOG_LEVEL });
  const registry = deps.registry ?? createMetricsRegistry({ service: 'notification' });
  const metrics = new NotificationMetrics(registry);
  const ownBus = !deps.bus;
  const bus = deps.bus ?? createBus({ ...kafkaOptions(config), clientId: 'notification', logger, registry });
  const templates = new EmailTemplates(deps.templatesDir);
  const channels = channelsOf(config);
  const enabled = new Set(channels.map((c) => c.name));
  const adminEmail = mailbox(config.SHOP_ADMIN_EMAIL) ?? undefined;
  const accountLinks = config.ACCOUNT_URL && config.CUSTOMER_LINK_SECRET ? new AccountLinks({ url: config.ACCOUNT_URL, secret: config.CUSTOMER_LINK_SECRET, ttlMs: config.CUSTOMER_LINK_TTL }) : undefined;
  const planner = new NotificationPlanner({ emails: new OrderEmails(templates, config.SHOP_NAME, accountLinks), channels: enabled, adminEmail });

  let database: Database | undefined;
  let prisma: PrismaClient | undefined;
  let consumer: ConsumerRunner | undefined;
  let stopping: Promise<void> | undefined;

  let raw: RawClient | undefined;
  const log = new NotificationLog(() => {
    if (!raw) throw new Error('notification service not started');
    return raw;
  });
  const workers = channels.map(
    (channel) =>
      new ChannelWorker(channel, {
        log,
        metrics,
        registry,
        logger,
        sendTimeoutMs: channel.name === 'email' ? config.SMTP_TIMEOUT : config.WEBHOOK_TIMEOUT,
        maxAttempts: config.NOTIFY_MAX_ATTEMPTS,
        retryBaseMs: config.NOTIFY_RETRY_BASE,
        retryMaxMs: config.NOTIFY_RETRY_MAX,
        pollIntervalMs: config.NOTIFY_POLL_INTERVAL,
        breakerResetMs: config.BREAKER_RESET_TIMEOUT,
      }),
  );
  const due = () => workers.forEach((w) => w.notify());
  const dueOn = (channels: ReadonlySet<string>) => {
    for (const worker of workers) if (channels.has(worker.name)) worker.notify();
  };
  const summary = new DailySummary({
    prisma: () => prisma,
    templates,
    metrics,
    logger,
    shopName: config.SHOP_NAME,
    recipient: enabled.has('email') ? adminEmail : undefined,
    hour: config.SUMMARY_HOUR,
    due,
  });

  const app = createHttpApp({
    service: 'notification',
    logger,
    registry,
    metricsToken: config.METRICS_TOKEN,
    publicMetrics: config.METRICS_PUBLIC,
    trustProxy: config.TRUST_PROXY,
    readiness: [databaseReadiness(() => prisma)],
    routes: (express) => {
      serveOpenApi(express, notificationApiDocument(), 'notification');
      adminRoutes({ token: config.ADMIN_TOKEN, prisma: () => prisma, summary, due })(express);
      mailboxRoutes({
        prisma: () => {
          if (!prisma) throw new HttpProblem(503, { detail: 'Starting up', headers: { 'retry-after': '1' } });
          return prisma;
        },
        channels: channels.filter((c) => c instanceof KeptChannel).map((c) => c.name),
        from: config.MAIL_FROM ?? `${config.SHOP_NAME} <orders@orderflow.localhost>`,
      })(express);
    },
  });

  return {
    app,
    registry,
    breakers: () => Object.fromEntries(channels.map((c, i) => [c.name, workers[i].state])),
    async start() {
      database = await openDatabase({ url: config.NOTIFICATION_DATABASE_URL, dataDir: config.DATA_DIR, name: 'notification', migrationsDir: MIGRATIONS_DIR, logger });
      prisma = new PrismaClient({ adapter: database.adapter });
      raw = rawClient(database.sql);
      for (const channel of channels) logger.info({ channel: channel.name, target: channel.target }, `${channel.name} notifications on`);
      const off = (['email', 'discord', 'slack'] as const).filter((name) => !enabled.has(name));
      if (off.length > 0) logger.warn({ channels: off }, 'channels not configured; nothing is sent through them');
      if (enabled.has('email') && !adminEmail) logger.warn('SHOP_ADMIN_EMAIL unset: no new-order mails, no daily summary');
      if (config.SUMMARY_HOUR === undefined) logger.info('SUMMARY_HOUR unset: the daily summary is sent only on request');
      workers.forEach((w) => w.start());
      summary.start();
      await bus.ensureTopics(SOURCE_TOPICS.map((topic) => ({ topic })), { withDeadLetters: true });
      const sql = database.sql;
      const handlers = eventsHandlers({ sql: () => sql, prisma: () => prisma!, planner, metrics, logger, slack: enabled.has('slack'), maxEventAgeMs: config.NOTIFY_MAX_EVENT_AGE, due: dueOn });
      consumer = await bus.runConsumer({
        // A database outage pauses the partition; the message waits instead of dead-lettering.
        unavailable: databaseOutage,
        groupId: NOTIFICATION_GROUP,
        topics: [...SOURCE_TOPICS, ...SOURCE_TOPICS.map(deadLetterTopic)],
        sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT,
        ...handlers,
        maxBatchSize: config.NOTIFY_BATCH_SIZE,
      });
      logger.info({ database: database.kind }, 'notification service started');
    },
    stop() {
      stopping ??= (async () => {
        await consumer?.stop().catch((err: unknown) => logger.warn({ err }, 'consumer did not stop cleanly'));
        await summary.stop();
        await Promise.all(workers.map((w) => w.stop()));
        if (ownBus) await bus.close().catch((err: unknown) => logger.warn({ err }, 'bus did not close cleanly'));
        const client = prisma;
        prisma = undefined;
        await client?.$disconnect();
        await database?.close();
        logger.info('notification service stopped');
      })();
      return stopping;
    },
  };
}
