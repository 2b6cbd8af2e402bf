import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from './http-problem';

/**
 * `Authorization: Bearer <token>` against one configured token, else a 401 problem saying
 * `detail`. Both sides are hashed first so the comparison is constant-time and of equal length
 * whatever the client sends (timingSafeEqual throws on different lengths, and an early length
 * check would leak the token's length).
 */
export function bearerAuth(token: string, detail: string): RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  return (req, _res, next) => {
    const match = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '');
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (!match || !timingSafeEqual(given, expected)) {
      next(new HttpProblem(401, { detail, headers: { 'www-authenticate': 'Bearer' } }));
      return;
    }
    next();
  };
}
