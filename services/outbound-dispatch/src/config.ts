import { durationMs, instanceKeys, list, loadConfig, requireMetricsAccess, secret, serviceFields, url, type Env } from '@orderflow/config';
import { z } from 'zod';

/** Comma-separated delays ('0,5s,5m,30m,2h'): the first attempt, then one per retry. */
const schedule = () =>
  list().pipe(
    z.array(
      z.string().transform((raw, ctx) => {
        const match = /^(\d+)(ms|s|m|h)?$/.exec(raw);
        if (!match) {
          ctx.issues.push({ code: 'custom', message: "each delay must be a whole number with an optional unit ('5s', '30m')", input: '' });
          return z.NEVER;
        }
        return Number(match[1]) * ({ ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as Record<string, number>)[match[2] ?? 'ms'];
      }),
    ).min(1),
  );

export const dispatchConfigSchema = z.object({
  ...serviceFields({ port: 3004 }),
  KAFKA_SESSION_TIMEOUT: durationMs().default(30_000),
  DISPATCH_DATABASE_URL: url({ protocols: ['postgres', 'postgresql'] }).optional(),
  ADMIN_TOKEN: secret().pipe(z.string().min(16, { message: 'must be at least 16 characters' })),
  API_KEYS: instanceKeys().default([]),
  /** Hosts (or host:port) partner URLs may name although they are not public https: dev and tests. */
  OUTBOUND_ALLOWED_HOSTS: list().default([]),
  /** Standard Webhooks' recommended schedule. */
  DISPATCH_RETRY_SCHEDULE: schedule().default([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]),
  DISPATCH_RETRY_JITTER: z.string().regex(/^0(\.\d+)?$|^1$/, { message: 'must be a share from 0 to 1' }).transform(Number).default(0.2),
  DISPATCH_TIMEOUT: durationMs().default(15_000),
  DISPATCH_CONCURRENCY: z.string().regex(/^[1-9]\d*$/).transform(Number).default(64),
  DISPATCH_ENDPOINT_CONCURRENCY: z.string().regex(/^[1-9]\d*$/).transform(Number).default(8),
  DISPATCH_DISABLE_AFTER: durationMs().default(5 * 24 * 3_600_000),
  DISPATCH_BREAKER_RESET: durationMs().default(30_000),
})
  .superRefine(requireMetricsAccess);

export type DispatchConfig = Readonly<z.output<typeof dispatchConfigSchema>>;

export function loadDispatchConfig(env: Env = process.env): DispatchConfig {
  return loadConfig(dispatchConfigSchema, env);
}
