import { bool, durationMs, loadConfig, logFormat, metricsFields, port, requireMetricsAccess, secret, trustProxy, url, type Env } from '@orderflow/config';
import { z } from 'zod';

const serviceUrl = () => url({ protocols: ['http', 'https'] });
const positiveInt = () => z.string().regex(/^[1-9]\d*$/, { message: 'must be a positive integer' }).transform(Number);

/**
 * The console's environment, parsed once at boot. The console holds no data of its own: it signs
 * staff in and calls each service's admin API with ADMIN_TOKEN, which never reaches a browser.
 */
export const consoleConfigSchema = z.object({
  PORT: port().default(3005),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: logFormat(),
  /** The proxies in front of the console that may name the client (sign-in limits) and its scheme. */
  TRUST_PROXY: trustProxy().default(false),
  /**
   * Who may read the console's own `/metrics` (as every service); the token is also what the
   * console scrapes the services' `/metrics` with for its health page.
   */
  ...metricsFields(),
  /** What staff sign in with, and the bearer the console sends to every service's admin API. */
  ADMIN_TOKEN: secret().pipe(z.string().min(16, { message: 'must be at least 16 characters' })),
  INGRESS_URL: serviceUrl(),
  ORDER_URL: serviceUrl(),
  FULFILLMENT_URL: serviceUrl(),
  NOTIFICATION_URL: serviceUrl(),
  DISPATCH_URL: serviceUrl(),
  /**
   * Verifies customers' order-history links (the notification service signs them with the same
   * secret). Unset: `/account` says the history is not available.
   */
  CUSTOMER_LINK_SECRET: secret().pipe(z.string().min(32, { message: 'must be at least 32 characters' })).optional(),
  /** A session ends this long after sign-in, whatever happens. */
  SESSION_TTL: durationMs().default(8 * 3_600_000),
  /** ...or after this long without a request. */
  SESSION_IDLE_TIMEOUT: durationMs().default(30 * 60_000),
  /**
   * Mark the session cookie Secure even when the request looks like plain HTTP (TLS ended at a
   * proxy that TRUST_PROXY does not name). Requests that arrive as HTTPS always get Secure.
   */
  SECURE_COOKIES: bool().default(false),
  /** Failed sign-ins allowed per client address per window, then 429 until the window passes. */
  SIGN_IN_LIMIT: positiveInt().default(10),
  SIGN_IN_WINDOW: durationMs().default(15 * 60_000),
  /** How long the console waits for a service before telling the browser it did not answer. */
  UPSTREAM_TIMEOUT: durationMs().default(5_000),
  /**
   * How often the console scrapes the services' /metrics for the Health page's last-hour charts
   * (240 samples an hour at 15 s, as Prometheus's usual scrape interval); tests shorten it.
   */
  HEALTH_SAMPLE_INTERVAL: durationMs().pipe(z.number().min(100, { message: 'must be at least 100ms' })).default(15_000),
})
  .superRefine(requireMetricsAccess);

export type ConsoleConfig = Readonly<z.output<typeof consoleConfigSchema>>;

export function loadConsoleConfig(env: Env = process.env): ConsoleConfig {
  return loadConfig(consoleConfigSchema, env);
}
