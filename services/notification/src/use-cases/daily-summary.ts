import type { Logger } from '@orderflow/logging';
import type { EmailTemplates } from '../adapters/messages/email-templates';
import { enqueue, notificationIdOf } from '../data/notifications.repository';
import { activityOn } from '../data/webhook-activity.repository';
import { activityReport, dueSummaryDate, type ActivityReport } from '../domain/daily-summary';
import { oneLine } from '../domain/notification';
import type { PrismaClient } from '../generated/prisma/client';
import type { NotificationMetrics } from '../metrics';

export interface DailySummaryOptions {
  prisma: () => PrismaClient | undefined;
  templates: EmailTemplates;
  metrics: NotificationMetrics;
  logger: Logger;
  shopName: string;
  /** Who gets it; unset (or mail not configured): no summary. */
  recipient?: string;
  /** UTC hour of the scheduled summary; unset: only on request. */
  hour?: number;
  /** After a summary was written. */
  due: () => void;
}

export class SummaryUnavailableError extends Error {
  override name = 'SummaryUnavailableError';
}

// Often enough to send within a minute of the hour; the check is one indexed insert-or-nothing.
const CHECK_INTERVAL_MS = 60_000;

/**
 * The daily webhook summary: one per date, ever. Its notification is keyed `daily-summary:<date>`
 * like any other, so the scheduler on every replica, restarts and requests by hand all end in
 * the same single row, sent once.
 */
export class DailySummary {
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(private readonly options: DailySummaryOptions) {}

  start(): void {
    if (this.options.hour === undefined || !this.options.recipient) return;
    const check = () => {
      this.checking ??= this.sendDue().finally(() => (this.checking = undefined));
    };
    check();
    this.timer = setInterval(check, CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.checking;
  }

  async report(date: string): Promise<ActivityReport> {
    return activityReport(date, await activityOn(this.prisma(), date));
  }

  /** Writes the date's summary unless it exists; either way returns its notification. */
  async request(date: string): Promise<{ id: string; created: boolean }> {
    const { recipient, templates, shopName } = this.options;
    if (!recipient) throw new SummaryUnavailableError('no summary recipient: SHOP_ADMIN_EMAIL and SMTP_URL must both be set');
    const key = { dedupeKey: `daily-summary:${date}`, channel: 'email' as const, recipient };
    const existing = await notificationIdOf(this.prisma(), key);
    if (existing !== null) return { id: String(existing), created: false };
    const report = await this.report(date);
    const message = templates.render('daily-summary', { ...report, shopName, hasActivity: report.types.length > 0 });
    const [created] = await enqueue(this.prisma(), [{ ...key, kind: 'daily-summary', eventId: null, eventType: null, orderId: null, message }]);
    if (!created) {
      // Another replica wrote it between the look and the insert.
      const id = await notificationIdOf(this.prisma(), key, true);
      return { id: String(id), created: false };
    }
    this.options.metrics.created.inc({ channel: 'email', kind: 'daily-summary' });
    this.options.logger.info({ date, notificationId: String(created.id) }, 'daily summary written');
    this.options.due();
    return { id: String(created.id), created: true };
  }

  private async sendDue(): Promise<void> {
    try {
      await this.request(dueSummaryDate(new Date(), this.options.hour!));
    } catch (err) {
      this.options.logger.warn({ err: oneLine(err) }, 'daily summary check failed; trying again at the next check');
    }
  }

  private prisma(): PrismaClient {
    const client = this.options.prisma();
    if (!client) throw new SummaryUnavailableError('not started');
    return client;
  }
}
