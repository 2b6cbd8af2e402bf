import { LicenseCipher } from '../adapters/license-cipher';
import { addKey } from '../data/license-key-rows';
import type { FulfillmentMetrics } from '../metrics';
import type { PrismaClient } from '../generated/prisma/client';
import { poolCounts } from './license-pools';

/**
 * Support adds keys to a product's pool (POST /admin/license-pools/:productId/keys): each stored
 * encrypted, with its hash and hint; a key already in the pool is skipped, never stored twice.
 */
export async function addLicenseKeys(prisma: PrismaClient, deps: { cipher: LicenseCipher; metrics: FulfillmentMetrics }, productId: string, keys: readonly string[]) {
  let added = 0;
  for (const key of new Set(keys)) {
    added += await addKey(prisma, productId, { ciphertext: deps.cipher.encrypt(key), hash: deps.cipher.hash(key), hint: LicenseCipher.hint(key) });
  }
  const [pool] = await poolCounts(prisma, deps.metrics, productId);
  return { productId, added, duplicates: keys.length - added, available: pool?.available ?? 0 };
}
