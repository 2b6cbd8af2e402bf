import { Counter, Gauge, type Registry } from 'prom-client';

export interface BreakerMetrics {
  state: Gauge<'breaker'>;
  successes: Counter<'breaker'>;
  failures: Counter<'breaker'>;
  rejections: Counter<'breaker'>;
  timeouts: Counter<'breaker'>;
  fallbacks: Counter<'breaker'>;
  excluded: Counter<'breaker'>;
}

/** Every breaker on a registry shares one set of metrics, labelled by breaker name. */
const byRegistry = new WeakMap<Registry, BreakerMetrics>();

export function breakerMetrics(registry: Registry): BreakerMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  const counter = (name: string, help: string) =>
    new Counter({ name: `circuit_breaker_${name}_total`, help, labelNames: ['breaker'], registers: [registry] });
  metrics = {
    state: new Gauge({
      name: 'circuit_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open',
      labelNames: ['breaker'],
      registers: [registry],
    }),
    successes: counter('successes', 'Calls that succeeded'),
    failures: counter('failures', 'Calls that failed and count against the dependency (timeouts included)'),
    rejections: counter('rejections', 'Calls refused without reaching the dependency because the breaker was open'),
    timeouts: counter('timeouts', 'Calls that outlasted the timeout'),
    fallbacks: counter('fallbacks', 'Calls answered by the fallback'),
    excluded: counter('excluded_errors', 'Errors passed to the caller without counting as failures (isFailure false)'),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
