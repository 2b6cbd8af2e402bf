import { HttpProblem } from '@orderflow/http';
import type { RequestHandler } from 'express';
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

export function rateLimit(limiter: RateLimiterAbstract, onLimited: (req: Parameters<RequestHandler>[0]) => void): RequestHandler {
  return async (req, _res, next) => {
    try {
      await limiter.consume(req.ip ?? req.socket.remoteAddress ?? 'unknown');
      next();
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        onLimited(req);
        const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        next(new HttpProblem(429, { detail: 'Too many requests from this client', headers: { 'retry-after': String(seconds) } }));
        return;
      }
      // Neither store could answer: let the webhook through rather than refuse a provider.
      req.log.warn({ err: rejection }, 'rate limiter unavailable; request let through');
      next();
    }
  };
}
