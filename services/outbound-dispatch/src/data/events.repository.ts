import type { PrismaClient } from '../generated/prisma/client';

export interface EventRange {
  from?: Date;
  to?: Date;
  eventType?: string;
}

/** The stored events of an instance in `range` (all of it when unbounded), in the order they happened (`seq`). */
export async function eventsOf(prisma: PrismaClient, instanceId: string, range: EventRange): Promise<Array<{ id: string; type: string; orderKey: string }>> {
  return prisma.event.findMany({
    where: { instanceId, type: range.eventType, occurredAt: { gte: range.from, lt: range.to } },
    orderBy: { seq: 'asc' },
    select: { id: true, type: true, orderKey: true },
  });
}
