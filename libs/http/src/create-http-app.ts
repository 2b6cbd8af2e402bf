import express, { type Express, type RequestHandler } from 'express';
import type { Logger } from '@orderflow/logging';
import { metricsHandler, type Registry } from '@orderflow/metrics';
import { bearerAuth } from './bearer-auth';
import './express-augment';
import { notFound, problemHandler } from './problem-handler';
import { qualifiedPaths, type OriginService } from './origin-routes';
import { BODY_LIMIT_SETTING } from './raw-body';
import { readinessHandler, type ReadinessCheck } from './readiness';
import { requestId } from './request-id';
import { requestMetrics } from './request-metrics';
import { refuseUnstorableUrls } from './storable-text';

export interface HttpAppOptions {
  logger: Logger;
  /**
   * When given: `/metrics` is served and request durations are recorded in it. Then one of
   * `metricsToken` and `publicMetrics` must say who may read it.
   */
  registry?: Registry;
  /** `/metrics` answers only `Authorization: Bearer <metricsToken>` (METRICS_TOKEN), else 401. */
  metricsToken?: string;
  /** `/metrics` answers without credentials: only when the operator chose it (METRICS_PUBLIC=true). */
  publicMetrics?: boolean;
  /** Largest body `rawJson()`/`rawBody()` accept unless a route says otherwise. Default '1mb'. */
  bodyLimit?: string | number;
  /**
   * Express's `trust proxy`: which hops in front of the service may name the client in
   * X-Forwarded-For, so `req.ip` (rate limits, logs) is the real client. Default false: the
   * peer is the client, and a forwarded header is ignored rather than believed.
   */
  trustProxy?: boolean | number | readonly string[];
  /** What `/readyz` checks: Kafka, the database, Redis... */
  readiness?: readonly ReadinessCheck[];
  /**
   * Bound on each readiness check. Default 1,000 ms, under Kubernetes' default probe
   * timeout (1 s) so the probe gets our 503 rather than its own timeout.
   */
  readinessTimeoutMs?: number;
  /**
   * Adds the service's routes. They must sit between the built-in middleware and the
   * 404/error handlers, which express runs in registration order, hence a callback
   * rather than adding routes to the returned app.
   */
  routes?: (app: Express) => void;
  /**
   * The service's name on the one origin: it answers `/healthz`, `/readyz` and `/metrics` also at
   * `/healthz/<service>`, `/readyz/<service>` and `/metrics/<service>`, paths no other service
   * has, so one route table can send each there (`ORIGIN_ROUTES`).
   */
  service?: OriginService;
  /**
   * The unqualified `/healthz`, `/readyz` and `/metrics` answered by these instead (the console,
   * which answers them for the whole system on the one origin); the service's own stay at the
   * qualified paths.
   */
  systemWide?: { healthz: RequestHandler; readyz: RequestHandler; metrics: RequestHandler };
}

/**
 * The express app every service serves HTTP with: request IDs, request metrics, `/healthz`,
 * `/readyz` (both open: probes carry no credentials), `/metrics` (behind its token unless
 * public), the service's routes, then 404 and the one problem+json error handler. Bodies are not parsed globally: routes opt in with `rawJson()` or `rawBody()`.
 */
export function createHttpApp(options: HttpAppOptions): Express {
  // Subscription IDs and instances are in the metrics' labels: serving them to anyone must be
  // a choice, never what forgetting the token does.
  if (options.registry && !options.metricsToken && !options.publicMetrics) {
    throw new Error('createHttpApp: a registry needs metricsToken, or publicMetrics: true, to say who may read /metrics');
  }
  if (options.systemWide && !options.service) throw new Error('createHttpApp: systemWide needs service, the qualified paths where the service answers its own');
  const app = express();
  app.disable('x-powered-by');
  app.set(BODY_LIMIT_SETTING, options.bodyLimit ?? '1mb');
  const trust = options.trustProxy ?? false;
  app.set('trust proxy', Array.isArray(trust) ? [...trust] : trust);

  app.use(requestId(options.logger));
  if (options.registry) app.use(requestMetrics(options.registry));
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      req.log.info({ method: req.method, path: req.path, status: res.statusCode, durationMs }, 'request completed');
    });
    next();
  });

  app.use(refuseUnstorableUrls());

  // Liveness says only that the process can answer; it never checks dependencies, or a
  // Kafka outage would get every replica restarted.
  const at = (bare: string, qualified: keyof ReturnType<typeof qualifiedPaths>): string[] => {
    const own = options.service ? [qualifiedPaths(options.service)[qualified]] : [];
    return options.systemWide ? own : [bare, ...own];
  };
  app.get(at('/healthz', 'healthz'), (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get(at('/readyz', 'readyz'), readinessHandler(options.readiness ?? [], options.readinessTimeoutMs ?? 1_000));
  const metricsGuard: RequestHandler[] = options.metricsToken ? [bearerAuth(options.metricsToken, 'A valid metrics bearer token is required')] : [];
  if (options.registry) app.get(at('/metrics', 'metrics'), ...metricsGuard, metricsHandler(options.registry));
  if (options.systemWide) {
    app.get('/healthz', options.systemWide.healthz);
    app.get('/readyz', options.systemWide.readyz);
    app.get('/metrics', ...metricsGuard, options.systemWide.metrics);
  }

  options.routes?.(app);

  app.use(notFound());
  app.use(problemHandler());
  return app;
}
