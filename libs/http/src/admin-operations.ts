import { z } from 'zod';
import type { ApiOperation } from './openapi';
import { qualifiedPaths, type OriginService } from './origin-routes';

const iso = z.iso.datetime({ offset: true });

/** A key as the admin API shows it: never the key or its hash. */
export const apiKeySchema = z.object({
  id: z.uuid(),
  instanceId: z.string(),
  /** The first 8 hex digits of the key's SHA-256. */
  fingerprint: z.string().regex(/^[0-9a-f]{8}$/),
  origin: z.enum(['config', 'admin']),
  createdAt: iso,
  revokedAt: iso.nullable(),
});

export const apiKeyAuditSchema = z.object({
  at: iso,
  action: z.enum(['created', 'revoked']),
  keyId: z.string(),
  instanceId: z.string(),
  requestId: z.string().nullable(),
  remoteAddress: z.string().nullable(),
});

export const setAsideRowSchema = z.object({
  id: z.string(),
  topic: z.string(),
  key: z.string().nullable(),
  valueBytes: z.number().int(),
  createdAt: iso,
  setAsideAt: iso,
  reason: z.enum(['unpublishable', 'attempts-exhausted']),
  error: z.string().nullable(),
  attempts: z.number().int(),
  held: z.number().int(),
});

const keyParams = z.object({ id: z.uuid() });
const rowParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });

/**
 * The admin routes libs/http gives order, fulfillment and outbound-dispatch alike — API keys
 * (`apiKeyAdminRoutes`) and set-aside outbox rows (`outboxAdminRoutes`) — documented at the
 * service's own paths (`/admin/<service>/…`), where the one origin routes them; the same routes
 * answer at `/admin/api-keys` and `/admin/outbox/set-aside` on the service's own port.
 */
export function sharedAdminOperations(service: OriginService): ApiOperation[] {
  const base = qualifiedPaths(service).admin;
  const id = (name: string) => `${name}${service[0]!.toUpperCase()}${service.slice(1)}`;
  return [
    {
      method: 'get',
      path: `${base}/api-keys`,
      operationId: id('listApiKeys'),
      tag: 'API keys',
      security: 'adminToken',
      summary: `The ${service} service's instance API keys, newest first, revoked ones included`,
      query: z.object({ instanceId: z.string().optional() }),
      responses: { 200: { description: 'Every key (never the key itself)', schema: z.object({ items: z.array(apiKeySchema) }) } },
      problems: [400],
    },
    {
      method: 'post',
      path: `${base}/api-keys`,
      operationId: id('createApiKey'),
      tag: 'API keys',
      security: 'adminToken',
      summary: 'A new API key for an instance, answered once and stored as its hash',
      body: { schema: z.object({ instanceId: z.string() }), example: { instanceId: 'shop-1' } },
      responses: { 201: { description: 'The key, shown this once', schema: apiKeySchema.extend({ key: z.string() }) } },
    },
    {
      method: 'get',
      path: `${base}/api-keys/:id`,
      operationId: id('getApiKey'),
      tag: 'API keys',
      security: 'adminToken',
      summary: 'A key and its audit: who created and revoked it, from where',
      params: keyParams,
      responses: { 200: { description: 'The key', schema: apiKeySchema.extend({ audit: z.array(apiKeyAuditSchema) }) } },
      problems: [400, 404],
    },
    {
      method: 'post',
      path: `${base}/api-keys/:id/revoke`,
      operationId: id('revokeApiKey'),
      tag: 'API keys',
      security: 'adminToken',
      summary: 'Revokes a key: refused from the next request on',
      params: keyParams,
      responses: { 200: { description: 'The revoked key', schema: apiKeySchema } },
      problems: [400, 404],
    },
    {
      method: 'get',
      path: `${base}/outbox/set-aside`,
      operationId: id('listSetAsideOutbox'),
      tag: 'Outbox',
      security: 'adminToken',
      summary: 'Outbox rows the relay set aside, oldest first, with the rows of their key held behind them',
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).optional() }),
      responses: { 200: { description: 'The rows', schema: z.object({ items: z.array(setAsideRowSchema) }) } },
      problems: [400],
    },
    ...(['requeue', 'discard'] as const).map(
      (action): ApiOperation => ({
        method: 'post',
        path: `${base}/outbox/set-aside/:id/${action}`,
        operationId: id(`${action}SetAsideOutbox`),
        tag: 'Outbox',
        security: 'adminToken',
        summary: action === 'requeue' ? 'Gives a set-aside row back to the relay, before the rows it held' : 'Drops a set-aside row for good, releasing the rows it held',
        params: rowParams,
        responses: { 200: { description: 'Done', schema: action === 'requeue' ? z.object({ id: z.string(), requeued: z.literal(true) }) : z.object({ id: z.string(), discarded: z.literal(true) }) } },
        problems: [400, 404],
      }),
    ),
  ];
}
