import type { PrismaClient, WebhookActivity } from '../generated/prisma/client';

/** A day's webhook activity rows, by source and type. */
export function activityOn(prisma: PrismaClient, date: string): Promise<WebhookActivity[]> {
  return prisma.webhookActivity.findMany({ where: { day: new Date(`${date}T00:00:00Z`) }, orderBy: [{ source: 'asc' }, { type: 'asc' }] });
}
