import { Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Added as a `service` label on every metric, so one Prometheus job can scrape them all. */
  service: string;
  /** Process metrics (CPU, memory, event-loop lag, GC). Default true. */
  defaultMetrics?: boolean;
}

/**
 * A registry per service rather than prom-client's global one: the one-machine mode runs
 * every service in one process, and each must expose only its own metrics under its own
 * `service` label.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}
