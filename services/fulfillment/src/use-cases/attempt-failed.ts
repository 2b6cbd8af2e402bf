import { enqueue, isDatabaseUnavailable, type OutboxRelay } from '@orderflow/db';
import type { Logger } from '@orderflow/logging';
import { failJob, jobOf, scheduleRetry } from '../data/jobs.repository';
import { afterFailedAttempt, failureReason, PoolExhaustedError, type RetryPolicy } from '../domain/attempts';
import { failure, outcomeMessage } from '../domain/outcomes';
import type { FulfillmentMetrics } from '../metrics';
import type { PrismaClient } from '../generated/prisma/client';

export interface AttemptFailedDeps extends RetryPolicy {
  /** Failures are recorded through Prisma (jobs.repository.ts). */
  prisma: PrismaClient;
  relay: OutboxRelay;
  metrics: FulfillmentMetrics;
  logger: Logger;
}

/**
 * A job runner's attempt at the order's job failed with `err` (its transaction rolled back, the
 * job still PENDING). An exhausted pool fails the job at once: `fulfillment.failed`, retriable by
 * hand once keys are added. Anything else is counted and the job scheduled again with backoff, in
 * the database, so a restart during the backoff forgets nothing; after `maxAttempts` it fails.
 * A database outage is rethrown: the job stays due, nothing is counted.
 */
export async function attemptFailed(deps: AttemptFailedDeps, orderId: string, err: unknown): Promise<void> {
  const { prisma, metrics, logger } = deps;
  const exhausted = err instanceof PoolExhaustedError;
  const reason = failureReason(err);
  if (!exhausted && isDatabaseUnavailable(err)) {
    logger.warn({ orderId, err: reason }, 'database unavailable; the job stays due');
    throw err;
  }
  const ended = await prisma.$transaction(async (tx) => {
    const job = await jobOf(tx, orderId);
    if (!job || job.status !== 'PENDING') return null;
    const next = afterFailedAttempt(job.attempts, { exhausted, reason }, deps);
    if (next.retry) {
      await scheduleRetry(tx, orderId, { attempts: next.attempts, lastError: reason, nextAttemptAt: new Date(Date.now() + next.delayMs) });
      metrics.retries.inc();
      logger.warn({ orderId, attempts: next.attempts, delayMs: next.delayMs, err: reason }, 'fulfillment failed transiently; retrying later');
      return null;
    }
    await failJob(tx, orderId, { attempts: next.attempts, lastError: next.reason });
    await enqueue(tx, outcomeMessage('fulfillment.failed', job, `fulfillment-${orderId}`, failure(job, next.reason)));
    return { job, finalReason: next.reason };
  });
  if (ended) {
    metrics.fulfillments.inc({ kind: exhausted ? 'license' : 'order', outcome: 'failed' });
    metrics.duration.observe({ outcome: 'failed' }, (Date.now() - ended.job.createdAt.getTime()) / 1000);
    logger.error({ orderId, reason: ended.finalReason }, 'fulfillment failed; support can retry it');
    deps.relay.notify();
  }
}
