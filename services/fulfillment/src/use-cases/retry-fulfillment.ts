import { jobOf, restartFailedJob } from '../data/jobs.repository';
import type { PrismaClient } from '../generated/prisma/client';

/** Retried, or why not: the job's status (only a FAILED job is retried), null when the order has none. */
export type RetryAnswer = { retried: true } | { retried: false; status: string | null };

/**
 * Support retries a failed fulfillment (POST /admin/fulfillments/:orderId/retry), e.g. once keys
 * were added to an exhausted pool: the job PENDING again from its last snapshot, in its next
 * round (so its outcome is a new event), attempts reset, due now; `jobsDue` wakes the job runner.
 */
export async function retryFulfillment(prisma: PrismaClient, orderId: string, jobsDue: () => void): Promise<RetryAnswer> {
  if (!(await restartFailedJob(prisma, orderId))) return { retried: false, status: (await jobOf(prisma, orderId))?.status ?? null };
  jobsDue();
  return { retried: true };
}
