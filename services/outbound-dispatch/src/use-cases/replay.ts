import { deliveredName } from '@orderflow/events';
import { eventsOf, type EventRange } from '../data/events.repository';
import { requeueEvent } from '../data/replay-rows';
import type { PrismaClient, Subscription } from '../generated/prisma/client';

/** The events to replay: a time range (`from` inclusive, `to` exclusive) and/or one type; all when empty. */
export type ReplayRange = EventRange;

/**
 * A replay, by the shop (its API key) or support (the admin token): everything the subscription
 * could have received in a time range or of a type, delivered again (or for the first time, for
 * events from before it existed) with the original IDs. Returns how many deliveries were
 * (re)queued. Callers check ownership first and wake the dispatcher afterwards.
 */
export async function replay(prisma: PrismaClient, subscription: Subscription, range: ReplayRange): Promise<number> {
  const events = await eventsOf(prisma, subscription.instanceId, range);
  let replayed = 0;
  // One event at a time, in the order they happened: on an ordered subscription each one waits
  // behind the one before it of its order.
  for (const event of events) {
    // Under the name the subscription asked for (ours, or a seed's alias of it), as at intake.
    const name = deliveredName(subscription.eventTypes, event.type);
    if (!name) continue;
    replayed += await requeueEvent(prisma, subscription.id, event, name);
  }
  return replayed;
}
