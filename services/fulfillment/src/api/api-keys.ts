import { hashApiKey, type ApiKeyLookup } from '@orderflow/http';
import type { PrismaClient } from '../generated/prisma/client';

/** Stores the keys of `API_KEYS`, hashed, so they authenticate; idempotent. */
export async function bootstrapApiKeys(prisma: PrismaClient, keys: ReadonlyArray<{ instanceId: string; key: string }>): Promise<void> {
  for (const { instanceId, key } of keys) {
    const keyHash = hashApiKey(key);
    await prisma.apiKey.upsert({ where: { keyHash }, create: { keyHash, instanceId }, update: { instanceId } });
  }
}

export function apiKeyLookup(prisma: () => PrismaClient | undefined): ApiKeyLookup {
  return () => {
    const client = prisma();
    return client && (async (keyHash) => (await client.apiKey.findUnique({ where: { keyHash } }))?.instanceId ?? null);
  };
}
