import { createHash } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { HttpProblem } from './http-problem';
import { startingUp } from './once-started';
import type { ApiKeyStore } from './api-key-store';

/** Keys are stored and looked up by their SHA-256: a service's database never holds a usable key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Finds the instance a key hash belongs to; undefined when the service is not ready to answer. */
export type ApiKeyLookup = () => ((keyHash: string) => Promise<string | null>) | undefined;

/** The authenticated instance, for handlers behind `apiKeyAuth`. */
export function instanceOf(req: Request): string {
  if (!req.instanceId) throw new Error('apiKeyAuth must run before this handler');
  return req.instanceId;
}

/**
 * Per-instance API keys, as `Authorization: Bearer <key>` or `X-Api-Key`. The lookup is by the
 * key's hash, so no comparison ever touches the key itself and none can leak it through timing.
 * Everything behind it is scoped to `req.instanceId`: another instance's data is a 404.
 */
export function apiKeyAuth(lookup: ApiKeyLookup): RequestHandler {
  return async (req, _res, next) => {
    const bearer = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const key = bearer ?? req.get('x-api-key');
    const find = lookup();
    if (!find) return next(startingUp());
    const instanceId = key ? await find(hashApiKey(key)) : null;
    if (!instanceId) return next(new HttpProblem(401, { detail: 'A valid API key is required', headers: { 'www-authenticate': 'Bearer' } }));
    req.instanceId = instanceId;
    next();
  };
}

/**
 * Makes the service's config keys exactly `API_KEYS` (instanceId:key pairs), stored hashed: the
 * keys it names authenticate, and one taken out of it stops working when the service starts
 * again. Keys made through the admin API are not the configuration's to remove and stay. A key
 * revoked through the admin API stays revoked even while API_KEYS still names it: a leaked key
 * must not come back with a restart. Idempotent.
 */
export async function bootstrapApiKeys(store: ApiKeyStore, keys: ReadonlyArray<{ instanceId: string; key: string }>): Promise<void> {
  const hashes: string[] = [];
  for (const { instanceId, key } of keys) {
    const keyHash = hashApiKey(key);
    hashes.push(keyHash);
    await store.apiKey.upsert({ where: { keyHash }, create: { keyHash, instanceId, origin: 'config' }, update: { instanceId } });
  }
  await store.apiKey.deleteMany({ where: { origin: 'config', keyHash: { notIn: hashes } } });
}

/** `apiKeyAuth`'s lookup over a service's api_keys table; undefined until the service started. */
export function apiKeyLookup(store: () => ApiKeyStore | undefined): ApiKeyLookup {
  return () => {
    const client = store();
    return (
      client &&
      (async (keyHash) => {
        const row = await client.apiKey.findUnique({ where: { keyHash } });
        return row && !row.revokedAt ? row.instanceId : null;
      })
    );
  };
}
