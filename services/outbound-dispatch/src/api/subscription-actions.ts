import { deliveredName } from '@orderflow/events';
import { initialStatusSql } from '../delivery/ordering';
import type { PrismaClient, Subscription } from '../generated/prisma/client';

/**
 * What a shop (its API key) and support (the admin token) may both do to a subscription or a
 * delivery, written once so both APIs behave alike. Callers check ownership first and wake the
 * dispatcher afterwards.
 */

export interface ReplayRange {
  from?: Date;
  to?: Date;
  eventType?: string;
}

/**
 * Everything the subscription could have received in a time range or of a type, delivered
 * again (or for the first time, for events from before it existed) with the original IDs.
 * Returns how many deliveries were (re)queued.
 */
export async function replayInto(prisma: PrismaClient, subscription: Subscription, range: ReplayRange): Promise<number> {
  const events = await prisma.event.findMany({
    where: { instanceId: subscription.instanceId, type: range.eventType, occurredAt: { gte: range.from, lt: range.to } },
    orderBy: { seq: 'asc' },
    select: { id: true, type: true, orderKey: true },
  });
  let replayed = 0;
  // One event at a time, in the order they happened: on an ordered subscription each one waits
  // behind the one before it of its order.
  for (const event of events) {
    // Under the name the subscription asked for (ours, or a seed's alias of it), as at intake.
    const name = deliveredName(subscription.eventTypes, event.type);
    if (!name) continue;
    replayed += await prisma.$executeRawUnsafe(
      `INSERT INTO deliveries (subscription_id, event_id, event_type, order_key, status, next_attempt_at)
       SELECT s.id, $2, $3, $4, ${initialStatusSql({ orderKey: '$4', eventId: '$2' })}, now() FROM subscriptions s WHERE s.id = $1
       ON CONFLICT (subscription_id, event_id) DO UPDATE SET status = EXCLUDED.status, attempts = 0, next_attempt_at = now(), leased_until = NULL`,
      subscription.id,
      event.id,
      name,
      event.orderKey,
    );
  }
  return replayed;
}

export interface SubscriptionChanges {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  ordered?: boolean;
  /** true re-enables a disabled subscription and releases what it missed while disabled. */
  active?: boolean;
}

/**
 * Applies `changes`. Enabling releases what was held while the subscription was off (in order,
 * with the original IDs); disabling holds what is pending, with `disabledReason` recorded.
 * Returns the subscription as it is now and whether deliveries became due.
 */
export async function updateSubscription(prisma: PrismaClient, current: Subscription, changes: SubscriptionChanges, disabledReason: string): Promise<{ updated: Subscription; released: boolean }> {
  const { active, ...fields } = changes;
  const enabling = active === true && !current.active;
  // No longer ordered: what waited behind an earlier event of its order may go now.
  const unordering = fields.ordered === false && current.ordered;
  const [updated] = await prisma.$transaction([
    prisma.subscription.update({
      where: { id: current.id },
      data: { ...fields, ...(active === undefined ? {} : { active, disabledReason: active ? null : disabledReason }), ...(enabling ? { failingSince: null } : {}), updatedAt: new Date() },
    }),
    ...(enabling ? [prisma.delivery.updateMany({ where: { subscriptionId: current.id, status: 'HELD' }, data: { status: 'PENDING', nextAttemptAt: new Date() } })] : []),
    ...(active === false ? [prisma.delivery.updateMany({ where: { subscriptionId: current.id, status: 'PENDING' }, data: { status: 'HELD' } })] : []),
    ...(unordering ? [prisma.delivery.updateMany({ where: { subscriptionId: current.id, status: 'WAITING' }, data: { status: (active ?? current.active) ? 'PENDING' : 'HELD' } })] : []),
  ]);
  return { updated, released: enabling || unordering };
}

/**
 * Sends a delivery again at once with a fresh attempt budget, whatever became of it: an explicit
 * repeat, so on an ordered subscription too it does not wait for the order's other events.
 */
export async function resendDelivery(prisma: PrismaClient, deliveryId: bigint): Promise<void> {
  await prisma.delivery.update({ where: { id: deliveryId }, data: { status: 'PENDING', attempts: 0, nextAttemptAt: new Date(), leasedUntil: null } });
}
