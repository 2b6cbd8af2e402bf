import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export class FulfillmentMetrics {
  readonly fulfillments: Counter<'kind' | 'outcome'>;
  readonly duration: Histogram<'outcome'>;
  readonly poolRemaining: Gauge<'product'>;
  readonly retries: Counter;
  readonly voids: Counter<'kind'>;

  constructor(registry: Registry) {
    this.fulfillments = new Counter({
      name: 'fulfillment_items_total',
      help: 'Items fulfilled by kind (ticket, license, external) and outcome (issued, failed, voided)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'fulfillment_duration_seconds',
      help: 'Time from order.ready_to_fulfill to the fulfillment ending, by outcome',
      labelNames: ['outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    });
    this.poolRemaining = new Gauge({
      name: 'fulfillment_license_pool_remaining',
      help: 'License keys still available per product; alert before it reaches 0',
      labelNames: ['product'],
      registers: [registry],
    });
    this.retries = new Counter({ name: 'fulfillment_retries_total', help: 'Fulfillment attempts that failed transiently and were scheduled again', registers: [registry] });
    this.voids = new Counter({ name: 'fulfillment_voids_total', help: 'Tickets voided and licenses revoked on refund or cancellation', labelNames: ['kind'], registers: [registry] });
  }
}
