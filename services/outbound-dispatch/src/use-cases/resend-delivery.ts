import { requeue } from '../data/deliveries.repository';
import type { PrismaClient } from '../generated/prisma/client';

/**
 * A resend, by the shop or support: the delivery goes out again at once with a fresh attempt
 * budget, whatever became of it. An explicit repeat, so on an ordered subscription too it does
 * not wait for the order's other events. Callers check ownership first and wake the dispatcher
 * afterwards.
 */
export async function resendDelivery(prisma: PrismaClient, deliveryId: bigint): Promise<void> {
  await requeue(prisma, deliveryId, new Date());
}
