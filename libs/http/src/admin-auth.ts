import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpProblem } from './http-problem';
import type { RequestHandler } from 'express';

/**
 * Bearer `ADMIN_TOKEN`. Both sides are hashed first so the comparison is constant-time and of
 * equal length whatever the client sends (timingSafeEqual throws on different lengths, and an
 * early length check would leak the token's length).
 */
export function adminAuth(token: string): RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  return (req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (!match || !timingSafeEqual(given, expected)) {
      next(new HttpProblem(401, { detail: 'A valid admin bearer token is required', headers: { 'www-authenticate': 'Bearer' } }));
      return;
    }
    next();
  };
}
