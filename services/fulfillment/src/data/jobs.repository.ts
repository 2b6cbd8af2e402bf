import type { FulfillmentJob, Prisma, PrismaClient } from '../generated/prisma/client';

/**
 * Fulfillment jobs through Prisma: support's reads and retry, and the recording of a failed
 * attempt (the job runner's and consumer's statements are SQL: job-rows.ts).
 */

type Client = PrismaClient | Prisma.TransactionClient;

export type JobStatus = 'PENDING' | 'COMPLETED' | 'FAILED' | 'VOIDED';

export function jobOf(prisma: Client, orderId: string): Promise<FulfillmentJob | null> {
  return prisma.fulfillmentJob.findUnique({ where: { orderId } });
}

/** The jobs in a status, most recently changed first. */
export function jobsIn(prisma: Client, status: JobStatus, limit: number): Promise<FulfillmentJob[]> {
  return prisma.fulfillmentJob.findMany({ where: { status }, orderBy: { updatedAt: 'desc' }, take: limit });
}

/** A failed attempt, the job due again at `nextAttemptAt`. */
export async function scheduleRetry(tx: Client, orderId: string, retry: { attempts: number; lastError: string; nextAttemptAt: Date }): Promise<void> {
  await tx.fulfillmentJob.update({ where: { orderId }, data: { ...retry, updatedAt: new Date() } });
}

/** The job FAILED for support to retry. */
export async function failJob(tx: Client, orderId: string, failed: { attempts: number; lastError: string }): Promise<void> {
  const data: Prisma.FulfillmentJobUpdateInput = { status: 'FAILED', ...failed, retriable: true, updatedAt: new Date() };
  await tx.fulfillmentJob.update({ where: { orderId }, data });
}

/** A FAILED job PENDING again in its next round, due now; false when the order's job is not FAILED. */
export async function restartFailedJob(prisma: Client, orderId: string): Promise<boolean> {
  const updated = await prisma.fulfillmentJob.updateMany({
    where: { orderId, status: 'FAILED' },
    data: { status: 'PENDING', attempts: 0, round: { increment: 1 }, nextAttemptAt: new Date(), lastError: null, updatedAt: new Date() },
  });
  return updated.count > 0;
}
