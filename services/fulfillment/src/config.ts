import { durationMs, instanceKeys, loadConfig, requireMetricsAccess, secret, serviceFields, url, type Env } from '@orderflow/config';
import { z } from 'zod';

/** 32 bytes as 64 hex characters or 43–44 base64 characters. */
const key32 = () =>
  secret().transform((raw, ctx) => {
    const bytes = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
    if (bytes.length !== 32) {
      ctx.issues.push({ code: 'custom', message: 'must be 32 bytes, as 64 hex or 44 base64 characters', input: '' });
      return z.NEVER;
    }
    return bytes;
  });

export const fulfillmentConfigSchema = z.object({
  ...serviceFields({ port: 3002 }),
  KAFKA_SESSION_TIMEOUT: durationMs().default(30_000),
  /** Without it the service keeps its data in a PGlite database under DATA_DIR. */
  FULFILLMENT_DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }).optional(),
  ADMIN_TOKEN: secret().pipe(z.string().min(16, { message: 'must be at least 16 characters' })),
  API_KEYS: instanceKeys().default([]),
  /** Signs ticket QR payloads (HMAC-SHA256); door scanners holding it verify offline. */
  TICKET_SIGNING_KEY: secret().pipe(z.string().min(32, { message: 'must be at least 32 characters' })),
  /** Encrypts license keys at rest (AES-256-GCM), so sellers can show them again. */
  LICENSE_ENCRYPTION_KEY: key32(),
  /** Attempts of a fulfillment failing for a transient reason before it is failed for support. */
  FULFILLMENT_MAX_ATTEMPTS: z.string().regex(/^[1-9]\d*$/, { message: 'must be a positive integer' }).transform(Number).default(5),
  FULFILLMENT_RETRY_BASE: durationMs().default(1_000),
  FULFILLMENT_RETRY_MAX: durationMs().default(5 * 60_000),
  /** How often due retries are looked for (new work starts at once, without waiting for it). */
  FULFILLMENT_POLL_INTERVAL: durationMs().default(1_000),
  /** A statement waiting longer than this on a lock fails the attempt, which is retried. */
  FULFILLMENT_LOCK_TIMEOUT: durationMs().default(5_000),
})
  .superRefine(requireMetricsAccess);

export type FulfillmentConfig = Readonly<z.output<typeof fulfillmentConfigSchema>>;

export function loadFulfillmentConfig(env: Env = process.env): FulfillmentConfig {
  return loadConfig(fulfillmentConfigSchema, env);
}
