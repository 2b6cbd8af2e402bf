import type { RequestHandler } from 'express';
import { Histogram, type Registry } from 'prom-client';

/** Seconds; dense under 100 ms, where the ingress's p99 target (50 ms) sits. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One histogram per registry, however many apps share it. */
const histograms = new WeakMap<Registry, Histogram<'method' | 'route' | 'status'>>();

/**
 * Observes `http_request_duration_seconds` by method, route pattern and status. The label
 * is the matched route ('/orders/:id'), never the raw path, and unmatched requests share
 * one label, so a scan of random URLs cannot blow up the series count.
 */
export function requestMetrics(registry: Registry): RequestHandler {
  let histogram = histograms.get(registry);
  if (!histogram) {
    histogram = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: BUCKETS,
      registers: [registry],
    });
    histograms.set(registry, histogram);
  }
  const observed = histogram;
  return (req, res, next) => {
    const stop = observed.startTimer();
    res.once('finish', () => {
      const pattern: unknown = req.route?.path;
      const route = typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched';
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}
