import { createHttpApp, type ServiceHandle } from '@orderflow/http';
import { createLogger, type Logger } from '@orderflow/logging';
import { createMetricsRegistry, type Registry } from '@orderflow/metrics';
import { accountRoutes } from './api/account.routes';
import { eventsRoutes } from './api/events.routes';
import { healthRoutes } from './api/health.routes';
import { HealthSampler } from './health/health-sampler';
import { mailRoutes } from './api/mail.routes';
import { openApiRoutes } from './api/openapi.routes';
import { ordersRoutes } from './api/orders.routes';
import { partnersRoutes } from './api/partners.routes';
import { mergedOpenApiHandler, systemHandlers } from './api/system.routes';
import type { ConsoleConfig } from './config';
import { AttemptLimiter } from './session/attempt-limiter';
import { sessionGuard } from './session/session.routes';
import { SessionStore } from './session/session-store';
import { securityHeaders, staticRoutes } from './static/pages';
import { AdminClient } from './upstream/admin-client';

export interface ConsoleServiceDeps {
  logger?: Logger;
  registry?: Registry;
  /** Milliseconds since the epoch; tests move it to expire sessions. */
  clock?: () => number;
}

export type ConsoleService = ServiceHandle;

/**
 * Builds the console without listening: the admin pages (`/console`), the customer order
 * history (`/account`) and the small API behind them, which signs staff in and calls each
 * service's admin API. It keeps no data but the last hour of the services' metrics, in memory, sampled from start to stop.
 */
export function buildConsole(config: ConsoleConfig, deps: ConsoleServiceDeps = {}): ConsoleService {
  const logger = deps.logger ?? createLogger({ name: 'console', level: config.LOG_LEVEL });
  const registry = deps.registry ?? createMetricsRegistry({ service: 'console' });
  const admin = new AdminClient({
    urls: { ingress: config.INGRESS_URL, order: config.ORDER_URL, fulfillment: config.FULFILLMENT_URL, notification: config.NOTIFICATION_URL, dispatch: config.DISPATCH_URL },
    token: config.ADMIN_TOKEN,
    metricsToken: config.METRICS_TOKEN,
    timeoutMs: config.UPSTREAM_TIMEOUT,
    logger,
  });
  const sampler = new HealthSampler({ admin, intervalMs: config.HEALTH_SAMPLE_INTERVAL, logger, clock: deps.clock });
  const limits = { limit: config.SIGN_IN_LIMIT, windowMs: config.SIGN_IN_WINDOW, clock: deps.clock };
  const store = new SessionStore({ ttlMs: config.SESSION_TTL, idleTimeoutMs: config.SESSION_IDLE_TIMEOUT, clock: deps.clock });
  const session = sessionGuard({ adminToken: config.ADMIN_TOKEN, store, limiter: new AttemptLimiter(limits), ttlMs: config.SESSION_TTL, secureCookies: config.SECURE_COOKIES });
  const guard = [session.requireSession, session.requireCsrf];
  const pages = staticRoutes();

  const app = createHttpApp({
    service: 'console',
    // On the one origin /healthz, /readyz, /metrics and /openapi.json are the console's, for the
    // whole system; its own are at /healthz/console, /readyz/console and /metrics/console.
    systemWide: systemHandlers({ admin, registry }),
    logger,
    registry,
    metricsToken: config.METRICS_TOKEN,
    publicMetrics: config.METRICS_PUBLIC,
    trustProxy: config.TRUST_PROXY,
    routes: (express) => {
      express.use(['/console', '/account'], securityHeaders);
      express.use(['/console/api', '/account/api'], (_req, res, next) => {
        res.set('cache-control', 'no-store');
        next();
      });
      express.get('/openapi.json', mergedOpenApiHandler(admin));
      session.routes(express);
      eventsRoutes({ admin, guard })(express);
      ordersRoutes({ admin, guard, customerLinkSecret: config.CUSTOMER_LINK_SECRET })(express);
      partnersRoutes({ admin, guard })(express);
      healthRoutes({ admin, guard, sampler })(express);
      mailRoutes({ admin, guard })(express);
      openApiRoutes({ admin, guard })(express);
      accountRoutes({ admin, secret: config.CUSTOMER_LINK_SECRET, limiter: new AttemptLimiter(limits) })(express);
      pages(express);
    },
  });

  return {
    app,
    registry,
    async start() {
      sampler.start();
      logger.info({ customerHistory: Boolean(config.CUSTOMER_LINK_SECRET) }, 'console started');
    },
    async stop() {
      await sampler.stop();
      logger.info('console stopped');
    },
  };
}
