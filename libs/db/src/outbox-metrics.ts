import { Counter, Gauge, type Registry } from 'prom-client';

export interface SetAsideCounts {
  setAside: number;
  held: number;
}

/** What answers the gauges of each registry: the relay started last on it. */
const counters = new WeakMap<Registry, () => Promise<SetAsideCounts>>();

/**
 * The outbox relay's Prometheus metrics. Fetched from the registry when they exist already (a
 * relay started again on the same registry), since prom-client throws on a duplicate name.
 * The gauges are counted in the database when scraped, so they are right at once when an
 * operator requeues or discards a row, from this instance or any other.
 */
export class OutboxMetrics {
  /** Rows set aside, by reason ('unpublishable', 'attempts-exhausted'). */
  readonly setAside: Counter<'reason'>;

  constructor(
    private readonly registry: Registry,
    private readonly count: () => Promise<SetAsideCounts>,
  ) {
    const registers = [registry];
    const existing = <T>(name: string): T | undefined => registry.getSingleMetric(name) as T | undefined;
    this.setAside =
      existing('orderflow_outbox_set_aside_total') ??
      new Counter({ name: 'orderflow_outbox_set_aside_total', help: 'Outbox rows the relay set aside instead of publishing, by reason', labelNames: ['reason'], registers });
    counters.set(registry, count);
    // One query answers both gauges of a scrape.
    let scrape: Promise<SetAsideCounts | null> | null = null;
    const counted = (): Promise<SetAsideCounts | null> => {
      scrape ??= (counters.get(registry)?.() ?? Promise.resolve(null))
        .catch(() => null) // the database is away: the gauges keep their last value
        .finally(() => setTimeout(() => (scrape = null), 1_000).unref());
      return scrape;
    };
    if (!existing('orderflow_outbox_set_aside_rows')) {
      new Gauge({
        name: 'orderflow_outbox_set_aside_rows',
        help: 'Outbox rows set aside, waiting for an operator to requeue or discard them',
        registers,
        async collect() {
          const counts = await counted();
          if (counts) this.set(counts.setAside);
        },
      });
    }
    if (!existing('orderflow_outbox_held_rows')) {
      new Gauge({
        name: 'orderflow_outbox_held_rows',
        help: 'Unpublished outbox rows held back behind a set-aside row with the same key',
        registers,
        async collect() {
          const counts = await counted();
          if (counts) this.set(counts.held);
        },
      });
    }
  }

  /** The relay stopped: its database no longer answers the gauges (unless another relay took over). */
  detach(): void {
    if (counters.get(this.registry) === this.count) counters.delete(this.registry);
  }
}
