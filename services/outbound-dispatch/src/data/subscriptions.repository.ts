import { enqueue, type OutboxMessage } from '@orderflow/db';
import type { Prisma, PrismaClient, Subscription } from '../generated/prisma/client';

/** Subscriptions through Prisma, with what a change of one does to its deliveries, in one transaction. */

export async function setFailingSince(prisma: PrismaClient, id: string, failingSince: Date | null): Promise<void> {
  await prisma.subscription.update({ where: { id }, data: { failingSince } });
}

/**
 * Disables the subscription if it is still active: it and its pending deliveries (HELD) change
 * together with `announcement` written to the outbox, or nothing changes. Leases stay, as when
 * support disables it: a delivery out now is recorded as its answer says.
 */
export async function disableActive(prisma: PrismaClient, id: string, reason: string, announcement: () => OutboxMessage): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const changed = await tx.subscription.updateMany({ where: { id, active: true }, data: { active: false, disabledReason: reason, updatedAt: new Date() } });
    if (changed.count === 0) return;
    await tx.delivery.updateMany({ where: { subscriptionId: id, status: 'PENDING' }, data: { status: 'HELD' } });
    await enqueue(tx, announcement());
  });
}

/** What a change of a subscription does to its deliveries, each optional. */
export interface DeliveryMoves {
  /** HELD deliveries become PENDING, due at this time. */
  releaseHeldAt?: Date;
  /** PENDING deliveries become HELD. */
  holdPending?: boolean;
  /** WAITING deliveries (behind an earlier one of their order) become this. */
  unwaitAs?: 'PENDING' | 'HELD';
}

/** Updates the subscription and moves its deliveries, in one transaction; returns it as it is now. */
export async function updateWithDeliveries(prisma: PrismaClient, id: string, data: Prisma.SubscriptionUpdateInput, moves: DeliveryMoves): Promise<Subscription> {
  const [updated] = await prisma.$transaction([
    prisma.subscription.update({ where: { id }, data }),
    ...(moves.releaseHeldAt ? [prisma.delivery.updateMany({ where: { subscriptionId: id, status: 'HELD' }, data: { status: 'PENDING', nextAttemptAt: moves.releaseHeldAt } })] : []),
    ...(moves.holdPending ? [prisma.delivery.updateMany({ where: { subscriptionId: id, status: 'PENDING' }, data: { status: 'HELD' } })] : []),
    ...(moves.unwaitAs ? [prisma.delivery.updateMany({ where: { subscriptionId: id, status: 'WAITING' }, data: { status: moves.unwaitAs } })] : []),
  ]);
  return updated;
}
