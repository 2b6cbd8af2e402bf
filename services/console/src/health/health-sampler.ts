import type { Logger } from '@orderflow/logging';
import type { AdminClient, ServiceName } from '../upstream/admin-client';
import { samplesOf } from '../upstream/prometheus-text';
import { healthSeries, SERIES_METRICS, type HealthSeries, type Snapshot } from './health-series';

const SERVICES: ServiceName[] = ['ingress', 'order', 'fulfillment', 'notification', 'dispatch'];
const HOUR = 3_600_000;

export interface HealthSamplerOptions {
  admin: AdminClient;
  intervalMs: number;
  logger: Logger;
  clock?: () => number;
}

/**
 * The last hour of the services' own metrics, for the Health page's charts: every `intervalMs`
 * (15 s: 240 samples an hour) the console scrapes each service's /metrics and keeps what the
 * charts read. Held in memory only: a console restart starts the hour again, and two console
 * replicas each keep their own (the same numbers, sampled at different instants).
 */
export class HealthSampler {
  private readonly snapshots: Snapshot[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly clock: () => number;

  constructor(private readonly options: HealthSamplerOptions) {
    this.clock = options.clock ?? Date.now;
  }

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One scrape of every service; a scrape still running (a slow service) is not doubled. */
  sample(): Promise<void> {
    this.running ??= this.scrape().finally(() => (this.running = undefined));
    return this.running;
  }

  series(): HealthSeries & { intervalMs: number } {
    return { intervalMs: this.options.intervalMs, ...healthSeries(this.snapshots, this.clock()) };
  }

  private async scrape(): Promise<void> {
    const scraped: Snapshot['scraped'] = {};
    await Promise.all(
      SERVICES.map(async (service) => {
        try {
          const answer = await this.options.admin.raw(service, '/metrics', { metrics: true });
          if (answer.status === 200) scraped[service] = samplesOf(answer.text, SERIES_METRICS);
        } catch (err) {
          this.options.logger.debug({ err, service }, 'health sample: the service did not answer');
        }
      }),
    );
    const at = this.clock();
    this.snapshots.push({ at, scraped });
    // An hour and one minute: the oldest charted minute still has the scrape before it.
    while (this.snapshots.length > 0 && this.snapshots[0].at < at - HOUR - 60_000) this.snapshots.shift();
  }
}
