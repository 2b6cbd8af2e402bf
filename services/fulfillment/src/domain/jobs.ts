import { enqueue, isDatabaseUnavailable, WorkLoop, type OutboxRelay } from '@orderflow/db';
import { encodeEvent, newEvent, type AnyEvent, type FulfillmentEventType, type FulfillmentOutcome, type OrderSnapshot } from '@orderflow/events';
import type { Logger } from '@orderflow/logging';
import type { FulfillmentJob, Prisma, PrismaClient } from '../generated/prisma/client';
import type { FulfillmentMetrics } from '../fulfillment.metrics';
import { PoolExhaustedError, type Fulfiller, type Tx } from './fulfiller';

export interface JobRunnerOptions {
  prisma: PrismaClient;
  fulfiller: Fulfiller;
  relay: OutboxRelay;
  metrics: FulfillmentMetrics;
  logger: Logger;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  pollIntervalMs: number;
  lockTimeoutMs: number;
}

/** Puts a fulfillment event in the outbox, in the caller's transaction. */
export async function emit(tx: Tx, type: FulfillmentEventType, job: Pick<FulfillmentJob, 'orderId' | 'instanceId' | 'round'>, traceId: string, payload: FulfillmentOutcome): Promise<void> {
  const event = newEvent({ type, eventId: `${type}:${job.orderId}:${job.round}`, orderKey: job.orderId, instanceId: job.instanceId, traceId, payload });
  await enqueue(tx, encodeEvent(event as AnyEvent));
}

export function snapshotOf(job: Pick<FulfillmentJob, 'snapshot'>): OrderSnapshot {
  return job.snapshot as unknown as OrderSnapshot;
}

/**
 * Runs due fulfillment jobs, one transaction each: claim the job (SKIP LOCKED, so replicas share
 * the table), issue, mark COMPLETED and publish `fulfillment.completed` — or roll all of it back.
 *
 * - An exhausted license pool fails the job at once (`fulfillment.failed`, retriable by hand once
 *   keys are added): waiting would not refill it.
 * - Anything else (a lock timeout, a lost connection) is transient: the attempt is counted and
 *   the job scheduled again with exponential backoff, in the database, so a restart during the
 *   backoff forgets nothing. After `maxAttempts` the job is failed for support to retry.
 */
export class JobRunner {
  private readonly loop: WorkLoop;

  constructor(private readonly options: JobRunnerOptions) {
    this.loop = new WorkLoop({
      runOne: () => this.runOne(),
      idleMs: () => options.pollIntervalMs,
      onError: (err) => options.logger.warn({ err }, 'fulfillment run failed; trying again at the next poll'),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** Looks for due jobs now, e.g. right after a consumer committed a new one. */
  notify(): void {
    this.loop.notify();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Runs the most overdue job; false when none was due. */
  private async runOne(): Promise<boolean> {
    const { prisma, fulfiller, metrics, lockTimeoutMs } = this.options;
    const due = await prisma.fulfillmentJob.findFirst({ where: { status: 'PENDING', nextAttemptAt: { lte: new Date() } }, orderBy: { nextAttemptAt: 'asc' }, select: { orderId: true } });
    if (!due) return false;
    try {
      const outcome = await prisma.$transaction(async (tx) => {
        await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = '${Math.max(1, Math.floor(lockTimeoutMs))}ms'`);
        const claimed = await tx.$queryRawUnsafe<Array<{ order_id: string }>>(
          `SELECT order_id FROM fulfillment_jobs WHERE order_id = $1 AND status = 'PENDING' AND next_attempt_at <= now() FOR UPDATE SKIP LOCKED`,
          due.orderId,
        );
        if (claimed.length === 0) return null;
        const job = await tx.fulfillmentJob.findUniqueOrThrow({ where: { orderId: due.orderId } });
        const issued = await fulfiller.issue(tx, snapshotOf(job));
        await tx.fulfillmentJob.update({ where: { orderId: job.orderId }, data: { status: 'COMPLETED', completedAt: new Date(), updatedAt: new Date(), lastError: null } });
        const order = snapshotOf(job);
        await emit(tx, 'fulfillment.completed', job, `fulfillment-${job.orderId}`, { orderId: job.orderId, instanceId: job.instanceId, customer: order.customer, reason: null, ...issued });
        return job;
      });
      if (outcome) {
        metrics.duration.observe({ outcome: 'completed' }, (Date.now() - outcome.createdAt.getTime()) / 1000);
        this.options.relay.notify();
      }
      return true;
    } catch (err) {
      await this.failed(due.orderId, err);
      return true;
    }
  }

  private async failed(orderId: string, err: unknown): Promise<void> {
    const { prisma, metrics, logger, maxAttempts } = this.options;
    const exhausted = err instanceof PoolExhaustedError;
    // One line: driver errors arrive with newlines, and this goes in events and the admin list.
    const reason = (err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ').trim();
    if (!exhausted && isDatabaseUnavailable(err)) {
      logger.warn({ orderId, err: reason }, 'database unavailable; the job stays due');
      throw err;
    }
    const ended = await prisma.$transaction(async (tx) => {
      const job = await tx.fulfillmentJob.findUnique({ where: { orderId } });
      if (!job || job.status !== 'PENDING') return null;
      const attempts = job.attempts + 1;
      if (!exhausted && attempts < maxAttempts) {
        const delay = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempts - 1));
        await tx.fulfillmentJob.update({ where: { orderId }, data: { attempts, lastError: reason, nextAttemptAt: new Date(Date.now() + delay), updatedAt: new Date() } });
        metrics.retries.inc();
        logger.warn({ orderId, attempts, delayMs: delay, err: reason }, 'fulfillment failed transiently; retrying later');
        return null;
      }
      const finalReason = exhausted ? reason : `gave up after ${attempts} attempts: ${reason}`;
      const data: Prisma.FulfillmentJobUpdateInput = { status: 'FAILED', attempts, lastError: finalReason, retriable: true, updatedAt: new Date() };
      await tx.fulfillmentJob.update({ where: { orderId }, data });
      await emit(tx, 'fulfillment.failed', job, `fulfillment-${orderId}`, { orderId, instanceId: job.instanceId, reason: finalReason, retriable: true });
      return { job, finalReason };
    });
    if (ended) {
      metrics.fulfillments.inc({ kind: exhausted ? 'license' : 'order', outcome: 'failed' });
      metrics.duration.observe({ outcome: 'failed' }, (Date.now() - ended.job.createdAt.getTime()) / 1000);
      logger.error({ orderId, reason: ended.finalReason }, 'fulfillment failed; support can retry it');
      this.options.relay.notify();
    }
  }
}
