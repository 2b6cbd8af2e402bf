import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PrismaClient } from './generated/prisma/client';

export class DispatchMetrics {
  readonly deliveries: Counter<'subscription' | 'outcome'>;
  readonly attemptDuration: Histogram<'outcome'>;
  readonly inFlight: Gauge;
  readonly throttled: Gauge;
  readonly disabled: Counter;

  constructor(registry: Registry, prisma: () => PrismaClient | undefined) {
    this.deliveries = new Counter({
      name: 'dispatch_deliveries_total',
      help: 'Delivery attempts by subscription and outcome: delivered, retry, failed (gave up), gone (410)',
      labelNames: ['subscription', 'outcome'],
      registers: [registry],
    });
    this.attemptDuration = new Histogram({
      name: 'dispatch_attempt_duration_seconds',
      help: 'Time to a partner answer, by status code (or error)',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [registry],
    });
    this.inFlight = new Gauge({
      name: 'dispatch_endpoint_in_flight',
      help: 'Deliveries in flight to one subscription endpoint from this replica',
      labelNames: ['subscription'],
      registers: [registry],
    });
    this.throttled = new Gauge({
      name: 'dispatch_endpoints_throttled',
      help: 'Subscription endpoints at their maximum deliveries in flight: their due deliveries wait',
      registers: [registry],
    });
    this.disabled = new Counter({ name: 'dispatch_subscriptions_disabled_total', help: 'Subscriptions disabled (410 Gone or failing too long)', registers: [registry] });
    // Read from the database at scrape time: the truth whichever replica is scraped.
    new Gauge({
      name: 'dispatch_deliveries_pending',
      help: 'Deliveries not yet delivered, by state: due (first attempt), retrying (attempted before), waiting (behind an earlier event of its order, ordered subscriptions), held (subscription disabled)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const client = prisma();
        if (!client) return;
        const rows = await client.$queryRawUnsafe<Array<{ state: string; n: bigint }>>(
          `SELECT CASE WHEN status = 'HELD' THEN 'held' WHEN status = 'WAITING' THEN 'waiting' WHEN attempts = 0 THEN 'due' ELSE 'retrying' END AS state, count(*) AS n
           FROM deliveries WHERE status IN ('PENDING', 'WAITING', 'HELD') GROUP BY 1`,
        );
        this.reset();
        for (const state of ['due', 'retrying', 'waiting', 'held']) this.set({ state }, Number(rows.find((r) => r.state === state)?.n ?? 0));
      },
    });
  }
}
