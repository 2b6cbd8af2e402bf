import { keysPerPool, type PoolCounts } from '../data/license-keys.repository';
import type { FulfillmentMetrics } from '../metrics';
import type { PrismaClient } from '../generated/prisma/client';

/**
 * Counts per status of each product's pool (one product's with `productId`), and the gauge that
 * alerts on it (fulfillment_license_pool_remaining) set from them: at start, when keys are added
 * and whenever support lists the pools.
 */
export async function poolCounts(prisma: PrismaClient, metrics: FulfillmentMetrics, productId?: string): Promise<PoolCounts[]> {
  const pools = await keysPerPool(prisma, productId);
  for (const pool of pools) metrics.poolRemaining.set({ product: pool.productId }, pool.available);
  return pools;
}
