import type { AnyEvent } from '@orderflow/events';
import type { Prisma } from '../generated/prisma/client';

/** What a partner receives: the type, when it happened, and the event's payload as `data`. */
export function partnerBody(event: AnyEvent): Prisma.InputJsonValue {
  return { type: event.type, timestamp: event.occurredAt, data: event.payload as Prisma.InputJsonValue };
}
