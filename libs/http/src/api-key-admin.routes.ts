import { qualifiedPaths, type OriginService } from './origin-routes';
import { randomBytes } from 'node:crypto';
import type { Express, Request } from 'express';
import { adminAuth } from './admin-auth';
import { hashApiKey } from './api-key-auth';
import type { ApiKeyAuditRow, ApiKeyRow, ApiKeyStore } from './api-key-store';
import { HttpProblem } from './http-problem';
import { onceStarted } from './once-started';
import { rawJson } from './raw-body';

export interface ApiKeyAdminDeps {
  /** ADMIN_TOKEN: these routes sit behind it like every other `/admin` route. */
  token: string;
  /** The service's PrismaClient; undefined until it started (503). */
  store: () => ApiKeyStore | undefined;
  /** The service's name: the routes are also at `/admin/<service>/api-keys`, its own path on the one origin. */
  service: OriginService;
}

/**
 * An instance ID as API_KEYS can name it (no ':', ',' or whitespace, which separate its pairs),
 * printable ASCII and at most 255 characters like the events' `instanceId`.
 */
const INSTANCE_ID = /^[\x21-\x2b\x2d-\x39\x3b-\x7e]{1,255}$/;
const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * What the admin API shows of a key: never the key or its hash. The fingerprint is the first 8
 * hex digits of the key's SHA-256, so whoever holds a key can tell which row it is
 * (`printf %s "$KEY" | sha256sum | cut -c1-8`) while 32 bits of a hash say nothing usable about
 * a 256-bit key.
 */
function keyView(row: ApiKeyRow) {
  return {
    id: row.id,
    instanceId: row.instanceId,
    fingerprint: row.keyHash.slice(0, 8),
    origin: row.origin,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}

function auditView(row: ApiKeyAuditRow) {
  return { at: row.at.toISOString(), action: row.action, keyId: row.keyId, instanceId: row.instanceId, requestId: row.requestId, remoteAddress: row.remoteAddress };
}

/** Who asked: the admin token is one identity, so the request and the address it came from. */
function actor(req: Request) {
  return { requestId: req.requestId, remoteAddress: req.ip ?? req.socket.remoteAddress ?? null };
}

/**
 * Instance API keys managed at run time (bearer ADMIN_TOKEN), one implementation for every
 * service that takes them:
 *
 * - `GET /admin/api-keys[?instanceId=]`: every key, newest first, revoked ones included.
 * - `POST /admin/api-keys` `{ "instanceId": "shop-1" }`: a new key, answered once (201) and
 *   stored only as its hash.
 * - `GET /admin/api-keys/:id`: one key with its audit trail.
 * - `POST /admin/api-keys/:id/revoke`: the key stops authenticating with the next request.
 *   Revoking a revoked key changes nothing and answers the same.
 *
 * Keys made here survive restarts; API_KEYS governs only its own (`bootstrapApiKeys`). Each
 * create and revoke writes its audit row in the same transaction as the change.
 */
export function apiKeyAdminRoutes(deps: ApiKeyAdminDeps): (app: Express) => void {
  const store = onceStarted(deps.store);
  const keyId = (req: Request): string => {
    const id = String(req.params.id);
    if (!KEY_ID.test(id)) throw new HttpProblem(400, { detail: 'A key ID is a UUID' });
    return id;
  };
  const instanceId = (value: unknown, name: string): string => {
    if (typeof value !== 'string' || !INSTANCE_ID.test(value)) {
      throw new HttpProblem(400, { detail: `${name} must be 1 to 255 printable characters without ':', ',' or spaces` });
    }
    return value;
  };

  // Each route at /admin/api-keys and at the service's own /admin/<service>/api-keys.
  const at = (path: string): string[] => [`/admin/api-keys${path}`, `${qualifiedPaths(deps.service).admin}/api-keys${path}`];
  return (app) => {
    app.use(at(''), adminAuth(deps.token));

    app.get(at(''), async (req, res) => {
      const filter = req.query.instanceId === undefined ? {} : { instanceId: instanceId(req.query.instanceId, 'instanceId') };
      const rows = await store().apiKey.findMany({ where: filter, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
      res.json({ items: rows.map(keyView) });
    });

    app.post(at(''), rawJson({ limit: '4kb' }), async (req, res) => {
      const body = req.body as unknown;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpProblem(400, { detail: 'The body must be a JSON object' });
      const unknown = Object.keys(body).filter((name) => name !== 'instanceId');
      if (unknown.length > 0) throw new HttpProblem(400, { detail: `Unknown field ${unknown[0].slice(0, 64)}` });
      const instance = instanceId((body as { instanceId?: unknown }).instanceId, 'instanceId');
      // 256 bits, base64url: no ':' or ',', so it can also be moved into API_KEYS as it is.
      const key = randomBytes(32).toString('base64url');
      const created = await store().$transaction(async (tx) => {
        const row = await tx.apiKey.create({ data: { keyHash: hashApiKey(key), instanceId: instance, origin: 'admin' } });
        await tx.apiKeyAudit.create({ data: { action: 'created', keyId: row.id, instanceId: instance, ...actor(req) } });
        return row;
      });
      req.log.info({ keyId: created.id, instanceId: instance }, 'API key created');
      res.status(201).set('cache-control', 'no-store').json({ ...keyView(created), key });
    });

    app.get(at('/:id'), async (req, res) => {
      const id = keyId(req);
      const client = store();
      const row = await client.apiKey.findUnique({ where: { id } });
      if (!row) throw new HttpProblem(404, { detail: `No API key ${id}` });
      const audit = await client.apiKeyAudit.findMany({ where: { keyId: id }, orderBy: { id: 'asc' } });
      res.json({ ...keyView(row), audit: audit.map(auditView) });
    });

    app.post(at('/:id/revoke'), async (req, res) => {
      const id = keyId(req);
      const revoked = await store().$transaction(async (tx) => {
        const row = await tx.apiKey.findUnique({ where: { id } });
        if (!row) return null;
        // Only the request that actually revokes it writes the audit row: two at once, one row.
        const { count } = await tx.apiKey.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
        if (count === 1) await tx.apiKeyAudit.create({ data: { action: 'revoked', keyId: id, instanceId: row.instanceId, ...actor(req) } });
        return tx.apiKey.findUnique({ where: { id } });
      });
      if (!revoked) throw new HttpProblem(404, { detail: `No API key ${id}` });
      req.log.info({ keyId: id, instanceId: revoked.instanceId }, 'API key revoked');
      res.json(keyView(revoked));
    });
  };
}
