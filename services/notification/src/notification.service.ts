import * as path from 'node:path';
import { deadLetterTopic, Topics } from '@orderflow/events';
import { onceStarted, type ServiceHandle } from '@orderflow/http';
import type { Logger } from '@orderflow/logging';
import type { BreakerState } from '@orderflow/resilience';
import { defineService, groupIdOf } from '@orderflow/service';
import { notificationApiDocument } from './api/openapi';
import { adminRoutes } from './api/admin.routes';
import { mailboxRoutes } from './api/mailbox.routes';
import type { Channel, ChannelName } from './adapters/channel';
import { EmailChannel } from './adapters/email.channel';
import { KeptChannel } from './adapters/kept.channel';
import { WebhookChannel } from './adapters/webhook.channel';
import type { NotificationConfig } from './config';
import { AccountLinks } from './adapters/messages/account-link';
import { EmailTemplates } from './adapters/messages/email-templates';
import { OrderEmails } from './adapters/messages/order-emails';
import { eventsHandlers } from './consumers/event-runs';
import { NotificationLog } from './data/notification-log';
import { mailbox, NotificationPlanner } from './domain/notification-planner';
import { PrismaClient } from './generated/prisma/client';
import { NotificationMetrics } from './metrics';
import { DailySummary } from './use-cases/daily-summary';
import { ChannelWorker } from './use-cases/send-notifications';

export interface NotificationServiceDeps {
  logger?: Logger;
  /** Where the mail templates are; default the package's templates/. */
  templatesDir?: string;
}

export interface NotificationService extends ServiceHandle {
  /** Stops consuming, finishes the sends in flight, closes Kafka and the database. Idempotent. */
  stop(): Promise<void>;
  /** The breaker state of each configured channel. */
  breakers(): Partial<Record<ChannelName, BreakerState>>;
}

export const NOTIFICATION_GROUP = groupIdOf('notification');
/** The topics notified about, and the provider topics whose activity is counted. */
const SOURCE_TOPICS = [Topics.orders, Topics.fulfillment, Topics.operations, Topics.stripeIngress, Topics.wixIngress];
/** What the group reads: the topics above, and their dead letters (each one an alert). */
export const NOTIFICATION_READS = [...SOURCE_TOPICS, ...SOURCE_TOPICS.map(deadLetterTopic)] as const;

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
  const channels = channelsOf(config);
  let workers: ChannelWorker[] = [];
  const service = defineService<PrismaClient>({ name: 'notification', config, logger: deps.logger }, ({ registry, logger, running, opened }) => {
    const metrics = new NotificationMetrics(registry);
    const templates = new EmailTemplates(deps.templatesDir);
    const enabled = new Set(channels.map((c) => c.name));
    const adminEmail = mailbox(config.SHOP_ADMIN_EMAIL) ?? undefined;
    const accountLinks = config.ACCOUNT_URL && config.CUSTOMER_LINK_SECRET ? new AccountLinks({ url: config.ACCOUNT_URL, secret: config.CUSTOMER_LINK_SECRET, ttlMs: config.CUSTOMER_LINK_TTL }) : undefined;
    const planner = new NotificationPlanner({ emails: new OrderEmails(templates, config.SHOP_NAME, accountLinks), channels: enabled, adminEmail });
    const prisma = () => running()?.prisma;
    const log = new NotificationLog(() => {
      const sql = opened()?.sql;
      if (!sql) throw new Error('notification service not started');
      return sql;
    });
    workers = channels.map(
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
      prisma: () => opened()?.prisma,
      templates,
      metrics,
      logger,
      shopName: config.SHOP_NAME,
      recipient: enabled.has('email') ? adminEmail : undefined,
      hour: config.SUMMARY_HOUR,
      due,
    });
    return {
      database: { url: config.NOTIFICATION_DATABASE_URL, migrationsDir: path.join(__dirname, '..', 'prisma', 'migrations'), client: (adapter) => new PrismaClient({ adapter }) },
      topics: { ensure: SOURCE_TOPICS, withDeadLetters: true },
      workers: () => [
        {
          name: 'channel workers',
          start: () => {
            for (const channel of channels) logger.info({ channel: channel.name, target: channel.target }, `${channel.name} notifications on`);
            const off = (['email', 'discord', 'slack'] as const).filter((name) => !enabled.has(name));
            if (off.length > 0) logger.warn({ channels: off }, 'channels not configured; nothing is sent through them');
            if (enabled.has('email') && !adminEmail) logger.warn('SHOP_ADMIN_EMAIL unset: no new-order mails, no daily summary');
            if (config.SUMMARY_HOUR === undefined) logger.info('SUMMARY_HOUR unset: the daily summary is sent only on request');
            workers.forEach((w) => w.start());
          },
          // After the summary (workers stop in reverse): it may have just queued a mail.
          stop: () => Promise.all(workers.map((w) => w.stop())),
        },
        { name: 'daily summary', start: () => summary.start(), stop: () => summary.stop() },
      ],
      reads: NOTIFICATION_READS,
      consumer: ({ database, prisma }) => ({
        ...eventsHandlers({ sql: () => database.sql, prisma: () => prisma, planner, metrics, logger, slack: enabled.has('slack'), maxEventAgeMs: config.NOTIFY_MAX_EVENT_AGE, due: dueOn }),
        maxBatchSize: config.NOTIFY_BATCH_SIZE,
      }),
      openApi: notificationApiDocument(),
      routes: (express) => {
        adminRoutes({ token: config.ADMIN_TOKEN, prisma, summary, due })(express);
        mailboxRoutes({
          prisma: onceStarted(prisma),
          channels: channels.filter((c) => c instanceof KeptChannel).map((c) => c.name),
          from: config.MAIL_FROM ?? `${config.SHOP_NAME} <orders@orderflow.localhost>`,
        })(express);
      },
    };
  });
  return { ...service, breakers: () => Object.fromEntries(channels.map((c, i) => [c.name, workers[i].state])) };
}
