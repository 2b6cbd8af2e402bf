export { createMetricsRegistry, type MetricsRegistryOptions } from './create-metrics-registry';
export { metricsHandler } from './metrics-handler';
export type { Registry } from 'prom-client';
