import { bool, durationMs, loadConfig, requireMetricsAccess, secret, serviceFields, url, type Env } from '@orderflow/config';
import { z } from 'zod';

const positiveInt = () => z.string().regex(/^[1-9]\d*$/, { message: 'must be a positive integer' }).transform(Number);
const email = () => z.string().trim().pipe(z.email({ message: 'must be an email address' }));

export const notificationConfigSchema = z
  .object({
    ...serviceFields({ port: 3003 }),
    KAFKA_SESSION_TIMEOUT: durationMs().default(30_000),
    /** Without it the service keeps its data in a PGlite database under DATA_DIR. */
    NOTIFICATION_DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }).optional(),
    ADMIN_TOKEN: secret().pipe(z.string().min(16, { message: 'must be at least 16 characters' })),
    /** Unset: no email at all (customers, the shop's admin, the daily summary). May carry credentials. */
    SMTP_URL: url({ protocols: ['smtp', 'smtps'] }).optional(),
    /** The From of every mail; an address or `Name <address>`. Required with SMTP_URL. */
    MAIL_FROM: z.string().trim().min(3).optional(),
    /**
     * Keep what channels without a destination (no SMTP_URL, no Discord or Slack webhook URL)
     * would have sent, for the console's Mail page, instead of planning nothing for them. The
     * one-machine mode turns it on; a deployment that sends for real leaves it off.
     */
    KEEP_UNSENT: bool().default(false),
    /** Gets the new-order mail and the daily summary. */
    SHOP_ADMIN_EMAIL: email().optional(),
    /** Signs the mails and names the shop in subjects. */
    SHOP_NAME: z.string().trim().min(1).default('Orderflow'),
    /** Unset: no Discord embeds. The URL carries the webhook's token: it is never logged. */
    DISCORD_WEBHOOK_URL: url({ protocols: ['https', 'http'] }).optional(),
    /** Unset: no Slack alerts. The URL is a credential too. */
    SLACK_WEBHOOK_URL: url({ protocols: ['https', 'http'] }).optional(),
    /** One SMTP conversation (connect, greeting, each command) may take this long. */
    SMTP_TIMEOUT: durationMs().default(15_000),
    /** Connections to the SMTP relay, each carrying one mail at a time. */
    SMTP_CONNECTIONS: positiveInt().default(4),
    /** A Discord or Slack webhook call taking longer is abandoned and retried. */
    WEBHOOK_TIMEOUT: durationMs().default(5_000),
    /** Sends of one notification before it is FAILED, for someone to resend by hand. */
    NOTIFY_MAX_ATTEMPTS: positiveInt().default(8),
    NOTIFY_RETRY_BASE: durationMs().default(2_000),
    NOTIFY_RETRY_MAX: durationMs().default(10 * 60_000),
    /**
     * Most events of one partition handled as one run: one statement, one JSON parameter holding
     * their snapshots and rendered messages (a few KB each).
     */
    NOTIFY_BATCH_SIZE: positiveInt().default(500),
    /** How often due retries are looked for (new notifications go at once, without waiting for it). */
    NOTIFY_POLL_INTERVAL: durationMs().default(1_000),
    /** How long an open channel breaker waits before one trial send. */
    BREAKER_RESET_TIMEOUT: durationMs().default(30_000),
    /**
     * Events older than this notify nobody (their activity still counts): a new deployment reading
     * the topics from the beginning must not mail every customer the shop ever had.
     */
    NOTIFY_MAX_EVENT_AGE: durationMs().default(24 * 3_600_000),
    /**
     * The customer's order history page (the console's `/account`). With CUSTOMER_LINK_SECRET,
     * customer mails carry a signed, expiring link to it; unset, they carry none.
     */
    ACCOUNT_URL: url({ protocols: ['https', 'http'] }).optional(),
    /** Signs the account links (HMAC-SHA256); the console verifies with the same secret. */
    CUSTOMER_LINK_SECRET: secret().pipe(z.string().min(32, { message: 'must be at least 32 characters' })).optional(),
    /** How long a mailed account link opens the history. */
    CUSTOMER_LINK_TTL: durationMs().default(30 * 24 * 3_600_000),
    /** UTC hour (0–23) at which yesterday's webhook summary is mailed. Unset: only on request. */
    SUMMARY_HOUR: z
      .string()
      .regex(/^([01]?\d|2[0-3])$/, { message: 'must be an hour from 0 to 23' })
      .transform(Number)
      .optional(),
  })
  .superRefine(requireMetricsAccess)
  .superRefine((config, ctx) => {
    if (config.SMTP_URL && !config.MAIL_FROM) ctx.addIssue({ code: 'custom', path: ['MAIL_FROM'], message: 'is required when SMTP_URL is set' });
    if (config.ACCOUNT_URL && !config.CUSTOMER_LINK_SECRET) ctx.addIssue({ code: 'custom', path: ['CUSTOMER_LINK_SECRET'], message: 'is required when ACCOUNT_URL is set' });
  });

export type NotificationConfig = Readonly<z.output<typeof notificationConfigSchema>>;

export function loadNotificationConfig(env: Env = process.env): NotificationConfig {
  return loadConfig(notificationConfigSchema, env);
}
