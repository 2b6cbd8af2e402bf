import { Counter, Histogram, type Registry } from 'prom-client';

export class NotificationMetrics {
  readonly created: Counter<'channel' | 'kind'>;
  readonly notifications: Counter<'channel' | 'outcome'>;
  readonly retries: Counter<'channel' | 'reason'>;
  readonly sendDuration: Histogram<'channel' | 'outcome'>;
  readonly tooOld: Counter;

  constructor(registry: Registry) {
    this.created = new Counter({
      name: 'notifications_created_total',
      help: 'Notifications written to the log by channel and kind (a duplicate is not written)',
      labelNames: ['channel', 'kind'],
      registers: [registry],
    });
    this.notifications = new Counter({
      name: 'notifications_total',
      help: 'Notifications by channel and final outcome: sent, or failed (attempts exhausted or refused for good)',
      labelNames: ['channel', 'outcome'],
      registers: [registry],
    });
    this.retries = new Counter({
      name: 'notification_retries_total',
      help: 'Sends scheduled again, by channel and reason (error, rate_limited)',
      labelNames: ['channel', 'reason'],
      registers: [registry],
    });
    this.sendDuration = new Histogram({
      name: 'notification_send_duration_seconds',
      help: 'Time one send took, by channel and outcome (sent, rate_limited, error)',
      labelNames: ['channel', 'outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.tooOld = new Counter({
      name: 'notification_events_too_old_total',
      help: 'Order and fulfillment events older than NOTIFY_MAX_EVENT_AGE when read: nobody was notified',
      registers: [registry],
    });
  }
}
