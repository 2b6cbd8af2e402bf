import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PrismaClient } from './generated/prisma/client';

export class DispatchMetrics {
  readonly deliveries: Counter<'outcome'>;
  readonly attemptDuration: Histogram<'outcome'>;
  readonly throttled: Gauge;
  readonly disabled: Counter;

  constructor(registry: Registry, prisma: () => PrismaClient | undefined) {
    this.deliveries = new Counter({
      name: 'dispatch_deliveries_total',
      help: 'Delivery attempts by outcome: delivered, retry, failed (gave up), gone (410)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.attemptDuration = new Histogram({
      name: 'dispatch_attempt_duration_seconds',
      help: 'Time to a partner answer, by status code (or error)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [registry],
    });
    this.throttled = new Gauge({
      name: 'dispatch_throttled_deliveries',
      help: 'Due deliveries waiting because their endpoint already has its maximum in flight',
      registers: [registry],
    });
    this.disabled = new Counter({ name: 'dispatch_subscriptions_disabled_total', help: 'Subscriptions disabled (410 Gone or failing too long)', registers: [registry] });
    // Read from the database at scrape time: the truth whichever replica is scraped.
    new Gauge({
      name: 'dispatch_deliveries_pending',
      help: 'Deliveries not yet delivered, by state: due (first attempt), retrying (attempted before), held (subscription disabled)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const client = prisma();
        if (!client) return;
        const rows = await client.$queryRawUnsafe<Array<{ state: string; n: bigint }>>(
          `SELECT CASE WHEN status = 'HELD' THEN 'held' WHEN attempts = 0 THEN 'due' ELSE 'retrying' END AS state, count(*) AS n
           FROM deliveries WHERE status IN ('PENDING', 'HELD') GROUP BY 1`,
        );
        this.reset();
        for (const state of ['due', 'retrying', 'held']) this.set({ state }, Number(rows.find((r) => r.state === state)?.n ?? 0));
      },
    });
  }
}
