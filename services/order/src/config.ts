import { durationMs, instanceKeys, list, loadConfig, requireMetricsAccess, secret, serviceFields, url, type Env } from '@orderflow/config';
import { z } from 'zod';

export const orderConfigSchema = z.object({
  ...serviceFields({ port: 3001 }),
  /** How long the group waits for a silent consumer (a killed replica) before moving its partitions. */
  KAFKA_SESSION_TIMEOUT: durationMs().default(30_000),
  /** Without it orders live in a PGlite database under DATA_DIR. */
  ORDER_DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }).optional(),
  ADMIN_TOKEN: secret().pipe(z.string().min(16, { message: 'must be at least 16 characters' })),
  /** Per-instance keys for the external and checkout APIs, stored hashed at start-up. */
  API_KEYS: instanceKeys().default([]),
  /** Unset: checkouts and refunds answer 503; provider events are still handled. */
  STRIPE_SECRET_KEY: z.string().regex(/^(sk|rk)_/, { message: "must be a Stripe secret key ('sk_...' or 'rk_...')" }).optional(),
  STRIPE_API_BASE: url({ protocols: ['https', 'http'] }).default('https://api.stripe.com'),
  STRIPE_TIMEOUT: durationMs().default(10_000),
  /** How long a cart stays locked for its payment. */
  CHECKOUT_LOCK_TTL: durationMs().default(30 * 60_000),
  CHECKOUT_SWEEP_INTERVAL: durationMs().default(30_000),
  CHECKOUT_STUCK_AFTER: durationMs().default(5 * 60_000),
  /** Wix instances whose paid orders are approved at once ('*' for every instance). */
  AUTO_APPROVE_INSTANCES: list().default([]),
})
  .superRefine(requireMetricsAccess);

export type OrderConfig = Readonly<z.output<typeof orderConfigSchema>>;

export function loadOrderConfig(env: Env = process.env): OrderConfig {
  return loadConfig(orderConfigSchema, env);
}
