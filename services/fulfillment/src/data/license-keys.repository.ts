import type { LicenseKey, PrismaClient } from '../generated/prisma/client';

/** License keys through Prisma, as the APIs read them (added, taken and revoked in SQL: license-key-rows.ts). */

export interface PoolCounts {
  productId: string;
  available: number;
  assigned: number;
  revoked: number;
}

/** Keys per status of each product's pool (one product's with `productId`), by product. */
export async function keysPerPool(prisma: PrismaClient, productId?: string): Promise<PoolCounts[]> {
  const rows = await prisma.licenseKey.groupBy({ by: ['productId', 'status'], where: productId ? { productId } : {}, _count: { _all: true } });
  const pools = new Map<string, PoolCounts>();
  for (const row of rows) {
    const pool = pools.get(row.productId) ?? { productId: row.productId, available: 0, assigned: 0, revoked: 0 };
    const key = row.status === 'AVAILABLE' ? 'available' : row.status === 'ASSIGNED' ? 'assigned' : 'revoked';
    pool[key] = row._count._all;
    pools.set(row.productId, pool);
  }
  return [...pools.values()].sort((a, b) => a.productId.localeCompare(b.productId));
}

/** An order's license keys by ID. */
export function licensesOfOrder(prisma: PrismaClient, orderId: string): Promise<LicenseKey[]> {
  return prisma.licenseKey.findMany({ where: { orderId }, orderBy: { id: 'asc' } });
}
