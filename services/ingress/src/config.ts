import { bool, durationMs, list, loadConfig, pem, requireMetricsAccess, secret, serviceFields, url, type Env } from '@orderflow/config';
import { z } from 'zod';

/** A positive whole number (rate-limit points). */
function positiveInt() {
  return z.string().regex(/^[1-9]\d*$/, { message: 'must be a positive integer' }).transform(Number);
}

/**
 * The ingress's environment, parsed once at boot. A wrong value stops start-up with a message
 * naming the variable (never its value).
 */
export const ingressConfigSchema = z.object({
  ...serviceFields({ port: 3000 }),
  /** Without it dedupe and rate limits live in this process only. */
  REDIS_URL: url({ protocols: ['redis', 'rediss'] }).optional(),
  REDIS_KEY_PREFIX: z.string().default('ingress:'),
  /** Without it the event log is a PGlite database under DATA_DIR. */
  INGRESS_DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }).optional(),
  /** Comma-separated: during a rotation both the old and the new secret verify. */
  STRIPE_WEBHOOK_SECRET: secret().pipe(list()).pipe(z.array(z.string()).min(1, { message: 'must hold at least one secret' })),
  /** The Wix app's public key. Unset: the Wix route is not mounted (404), see README. */
  WIX_PUBLIC_KEY: pem().optional(),
  ADMIN_TOKEN: secret().pipe(z.string().min(16, { message: 'must be at least 16 characters' })),
  /** Requests per client IP per window on the webhook routes. */
  RATE_LIMIT_POINTS: positiveInt().default(500),
  RATE_LIMIT_WINDOW: durationMs().default(10_000),
  RATE_LIMIT_ENABLED: bool().default(true),
  /**
   * How long a webhook waits for Kafka's acks=all before answering 503. The bus may take far
   * longer to give up on a hung broker (kafkajs retries for ~10 s and more), and Stripe times a
   * delivery out after ~10 s: better a clear 503 the provider retries than a dropped connection.
   */
  PUBLISH_DEADLINE: durationMs().default(5_000),
  /** Wix wants its 200 within 1,250 ms; past that an answer is worthless, so give up earlier. */
  WIX_PUBLISH_DEADLINE: durationMs().default(1_000),
  /** Signature failures are counted over this window and published once per window with any. */
  SIGNATURE_ALERT_WINDOW: durationMs().default(60_000),
  /** How long Redis remembers an event ID. Stripe retries for up to 3 days. */
  DEDUPE_TTL: durationMs().default(4 * 24 * 3_600_000),
})
  .superRefine(requireMetricsAccess);

export type IngressConfig = Readonly<z.output<typeof ingressConfigSchema>>;

export function loadIngressConfig(env: Env = process.env): IngressConfig {
  return loadConfig(ingressConfigSchema, env);
}
