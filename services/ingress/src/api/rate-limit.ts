import type { Request } from 'express';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface RateLimitOptions {
  points: number;
  windowMs: number;
  keyPrefix: string;
  /** Shared limits across replicas when given; memory otherwise. */
  redis?: Redis;
}

/**
 * Per client IP. With Redis, a memory "insurance" limiter takes over while Redis is down, so a
 * Redis outage neither blocks webhooks nor lifts the limit.
 */
export function createRateLimiter(options: RateLimitOptions): RateLimiterAbstract {
  const duration = Math.max(1, Math.ceil(options.windowMs / 1000));
  const memory = new RateLimiterMemory({ points: options.points, duration, keyPrefix: options.keyPrefix });
  if (!options.redis) return memory;
  return new RateLimiterRedis({
    storeClient: options.redis,
    points: options.points,
    duration,
    keyPrefix: options.keyPrefix,
    insuranceLimiter: memory,
  });
}

/**
 * Counts refused webhooks (signature or payload that fails verification) per client: a correctly
 * signed webhook never spends a point and is never refused, so a provider's burst from one
 * address (Stripe retrying a backlog) is never answered 429. Once a client has spent its points,
 * what it sends that fails verification is answered 429 with Retry-After instead of 401, and not
 * logged one by one: the limit sheds forgeries and misconfigured senders, not traffic.
 */
export interface RefusalLimiter {
  /** Counts one refused request; `retryAfterS` once its client is over the limit, else null. */
  refused(req: Request): Promise<{ retryAfterS: number } | null>;
}

export function refusalLimiter(limiter: RateLimiterAbstract): RefusalLimiter {
  return {
    async refused(req) {
      try {
        await limiter.consume(req.ip ?? req.socket.remoteAddress ?? 'unknown');
        return null;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return { retryAfterS: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
        // Neither store could answer: the refusal stands as it is (401), unlimited.
        req.log.warn({ err: rejection }, 'rate limiter unavailable; refusal not counted');
        return null;
      }
    },
  };
}
