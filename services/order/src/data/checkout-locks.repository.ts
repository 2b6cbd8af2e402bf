import { ACTIVE_LOCK_STATES, type PhaseEntry } from '../domain/checkouts';
import type { CheckoutLock, Prisma, PrismaClient } from '../generated/prisma/client';

/**
 * Checkout locks through Prisma: the checkout's own steps, in the checkout's Prisma
 * transactions. The SQL the consumers' transactions run on them is in checkout-lock-rows.ts.
 */
type Client = PrismaClient | Prisma.TransactionClient;

/** Appends a phase to the lock's record and applies `changes`. */
export function recordPhase(tx: Client, lock: CheckoutLock, entry: PhaseEntry, changes: Prisma.CheckoutLockUpdateInput = {}): Promise<CheckoutLock> {
  const phases = [...((lock.phases as unknown as PhaseEntry[]) ?? []), entry];
  return tx.checkoutLock.update({ where: { id: lock.id }, data: { ...changes, phase: entry.phase, phases: phases as unknown as Prisma.InputJsonValue } });
}

export function lockById(client: Client, id: string): Promise<CheckoutLock> {
  return client.checkoutLock.findUniqueOrThrow({ where: { id } });
}

export function lockOfCart(client: Client, instanceId: string, cartId: string): Promise<CheckoutLock | null> {
  return client.checkoutLock.findUnique({ where: { instanceId_cartId: { instanceId, cartId } } });
}

export function lockOfOrder(client: Client, orderId: string): Promise<CheckoutLock | null> {
  return client.checkoutLock.findFirst({ where: { orderId } });
}

/** Running checkouts whose lock has expired, the longest expired first. */
export function expiredLocks(client: Client, limit: number): Promise<CheckoutLock[]> {
  return client.checkoutLock.findMany({
    where: { state: { in: [...ACTIVE_LOCK_STATES] }, expiresAt: { lt: new Date() } },
    orderBy: { expiresAt: 'asc' },
    take: limit,
  });
}

/** The lock of a cart, with its order's status. */
export async function checkoutStatus(client: Client, instanceId: string, cartId: string): Promise<{ lock: CheckoutLock; orderStatus: string | null } | null> {
  const lock = await lockOfCart(client, instanceId, cartId);
  if (!lock) return null;
  const order = lock.orderId ? await client.order.findUnique({ where: { id: lock.orderId }, select: { status: true } }) : null;
  return { lock, orderStatus: order?.status ?? null };
}
