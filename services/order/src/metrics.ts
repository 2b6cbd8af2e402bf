import { Counter, Histogram, type Registry } from 'prom-client';

/** The order service's own metrics; the bus, HTTP and breaker metrics come from the libs. */
export class OrderMetrics {
  readonly transitions: Counter<'from' | 'to'>;
  readonly illegalTransitions: Counter<'from' | 'to' | 'cause'>;
  readonly unmatchedPayments: Counter<'provider' | 'type'>;
  readonly checkouts: Counter<'outcome'>;
  readonly checkoutDuration: Histogram<'outcome'>;
  readonly promotions: Counter;

  constructor(registry: Registry) {
    this.transitions = new Counter({ name: 'order_transitions_total', help: 'Order status changes applied', labelNames: ['from', 'to'], registers: [registry] });
    this.illegalTransitions = new Counter({
      name: 'order_illegal_transitions_total',
      help: 'Order status changes refused by the state machine (recorded, not applied)',
      labelNames: ['from', 'to', 'cause'],
      registers: [registry],
    });
    this.unmatchedPayments = new Counter({
      name: 'order_unmatched_payments_total',
      help: 'Payments for an order that could not be found, kept for support to match',
      labelNames: ['provider', 'type'],
      registers: [registry],
    });
    this.checkouts = new Counter({
      name: 'order_checkouts_total',
      help: 'Checkouts by outcome: started, conflict, failed, completed, expired',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.checkoutDuration = new Histogram({
      name: 'order_checkout_start_duration_seconds',
      help: 'Time to answer POST /api/checkout',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.promotions = new Counter({ name: 'order_waitlist_promotions_total', help: 'Waitlisted registrations promoted to active', registers: [registry] });
  }
}
