import type { Logger } from '@orderflow/logging';
import { encodeEvent, newEvent, type AnyEvent } from '@orderflow/events';
import { disableActive } from '../data/subscriptions.repository';
import type { PrismaClient, Subscription } from '../generated/prisma/client';
import type { DispatchMetrics } from '../metrics';

export interface DisableSubscriptionDeps {
  prisma: PrismaClient;
  metrics: DispatchMetrics;
  logger: Logger;
  /** After a commit that put events in the outbox. */
  published: () => void;
}

/**
 * The dispatcher gives up on a subscription (its endpoint answered 410 Gone, or every delivery
 * failed for DISPATCH_DISABLE_AFTER): disabled, not forgotten. Its pending deliveries are held
 * until it is enabled again, and `subscription.disabled` goes out (through the outbox, with the
 * change) so the shop hears of it.
 */
export async function disableSubscription(deps: DisableSubscriptionDeps, subscription: Subscription, reason: string): Promise<void> {
  const { prisma, logger, metrics } = deps;
  await disableActive(prisma, subscription.id, reason, () => {
    const event = newEvent({
      type: 'subscription.disabled',
      eventId: `subscription.disabled:${subscription.id}:${Date.now()}`,
      orderKey: subscription.id,
      instanceId: subscription.instanceId,
      traceId: `dispatch-${subscription.id}`,
      payload: {
        subscriptionId: subscription.id,
        instanceId: subscription.instanceId,
        endpoint: new URL(subscription.url).origin,
        reason,
        failingSince: subscription.failingSince?.toISOString() ?? null,
      },
    });
    return encodeEvent(event as AnyEvent);
  });
  deps.published();
  metrics.disabled.inc();
  logger.warn({ subscriptionId: subscription.id, instanceId: subscription.instanceId, reason }, 'subscription disabled');
}
