import { updateWithDeliveries } from '../data/subscriptions.repository';
import type { PrismaClient, Subscription } from '../generated/prisma/client';

export interface SubscriptionChanges {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  ordered?: boolean;
  /** true re-enables a disabled subscription and releases what it missed while disabled. */
  active?: boolean;
}

/**
 * A subscription changed by the shop (PATCH) or switched on or off by support. Enabling releases
 * what was held while it was off (in order, with the original IDs) and forgets how long it had
 * been failing; disabling holds what is pending, with `disabledReason` recorded (and, unlike
 * disable-subscription.ts, publishes nothing). Returns the subscription as it is now and whether
 * deliveries became due. Callers check ownership first and wake the dispatcher afterwards.
 */
export async function updateSubscription(prisma: PrismaClient, current: Subscription, changes: SubscriptionChanges, disabledReason: string): Promise<{ updated: Subscription; released: boolean }> {
  const { active, ...fields } = changes;
  const enabling = active === true && !current.active;
  // No longer ordered: what waited behind an earlier event of its order may go now.
  const unordering = fields.ordered === false && current.ordered;
  const updated = await updateWithDeliveries(
    prisma,
    current.id,
    { ...fields, ...(active === undefined ? {} : { active, disabledReason: active ? null : disabledReason }), ...(enabling ? { failingSince: null } : {}), updatedAt: new Date() },
    {
      releaseHeldAt: enabling ? new Date() : undefined,
      holdPending: active === false,
      unwaitAs: unordering ? ((active ?? current.active) ? 'PENDING' : 'HELD') : undefined,
    },
  );
  return { updated, released: enabling || unordering };
}
