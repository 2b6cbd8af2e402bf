import { createHash } from 'node:crypto';
import { HttpProblem } from '@orderflow/http';
import type { Request, RequestHandler } from 'express';
import type { PrismaClient } from '../generated/prisma/client';

/** Keys are stored and looked up by their SHA-256: the database never holds a usable key. */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Stores the keys of `API_KEYS` (instanceId:key pairs) so they authenticate; idempotent. */
export async function bootstrapApiKeys(prisma: PrismaClient, keys: ReadonlyArray<{ instanceId: string; key: string }>): Promise<void> {
  for (const { instanceId, key } of keys) {
    const keyHash = hashKey(key);
    await prisma.apiKey.upsert({ where: { keyHash }, create: { keyHash, instanceId }, update: { instanceId } });
  }
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The instance (tenant) the request's API key belongs to; set by `apiKeyAuth`. */
      instanceId?: string;
    }
  }
}

/** The authenticated instance, for handlers behind `apiKeyAuth`. */
export function instanceOf(req: Request): string {
  if (!req.instanceId) throw new Error('apiKeyAuth must run before this handler');
  return req.instanceId;
}

/**
 * Per-instance API keys, as `Authorization: Bearer <key>` or `X-Api-Key`. The lookup is by the
 * key's hash, so the comparison never touches the key itself and cannot leak it through timing.
 * Everything behind it is scoped to `req.instanceId`: another instance's data is a 404.
 */
export function apiKeyAuth(prisma: () => PrismaClient | undefined): RequestHandler {
  return async (req, _res, next) => {
    const bearer = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const key = bearer ?? req.get('x-api-key');
    const client = prisma();
    if (!client) return next(new HttpProblem(503, { detail: 'Starting up', headers: { 'retry-after': '1' } }));
    const found = key ? await client.apiKey.findUnique({ where: { keyHash: hashKey(key) } }) : null;
    if (!found) return next(new HttpProblem(401, { detail: 'A valid API key is required', headers: { 'www-authenticate': 'Bearer' } }));
    req.instanceId = found.instanceId;
    next();
  };
}
