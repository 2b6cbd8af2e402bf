/** An `api_keys` row as the admin routes read it; `keyHash` never leaves this lib. */
export interface ApiKeyRow {
  id: string;
  keyHash: string;
  instanceId: string;
  /** 'config': from API_KEYS, kept in step with it at each start. 'admin': made by `POST /admin/api-keys`. */
  origin: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** One `api_key_audit` row: a key made or revoked through the admin API, and by which request. */
export interface ApiKeyAuditRow {
  at: Date;
  action: string;
  keyId: string;
  instanceId: string;
  requestId: string;
  remoteAddress: string | null;
}

/** The tables, as a PrismaClient or one of its transactions has them. */
export interface ApiKeyTables {
  apiKey: {
    upsert(args: { where: { keyHash: string }; create: { keyHash: string; instanceId: string; origin: 'config' }; update: { instanceId: string } }): PromiseLike<unknown>;
    deleteMany(args: { where: { origin: 'config'; keyHash: { notIn: string[] } } }): PromiseLike<unknown>;
    findUnique(args: { where: { keyHash: string } | { id: string } }): PromiseLike<ApiKeyRow | null>;
    findMany(args: { where: { instanceId?: string }; orderBy: Array<{ createdAt: 'desc' } | { id: 'asc' }> }): PromiseLike<ApiKeyRow[]>;
    create(args: { data: { keyHash: string; instanceId: string; origin: 'admin' } }): PromiseLike<ApiKeyRow>;
    updateMany(args: { where: { id: string; revokedAt: null }; data: { revokedAt: Date } }): PromiseLike<{ count: number }>;
  };
  apiKeyAudit: {
    create(args: { data: Omit<ApiKeyAuditRow, 'at'> }): PromiseLike<unknown>;
    findMany(args: { where: { keyId: string }; orderBy: { id: 'asc' } }): PromiseLike<ApiKeyAuditRow[]>;
  };
}

/**
 * The slice of a service's PrismaClient the key helpers use: every service that takes API keys
 * keeps them in its own `api_keys` table (key_hash, id, instance_id, origin, created_at,
 * revoked_at) and their admin history in `api_key_audit`, whatever else its schema holds.
 */
export interface ApiKeyStore extends ApiKeyTables {
  $transaction<R>(fn: (tx: ApiKeyTables) => Promise<R>): Promise<R>;
}
