import { enqueue, isDatabaseUnavailable, type OutboxMessage, type OutboxRelay, type RawClient, type Tx } from '@orderflow/db';
import { backoffDelay, WorkLoop } from '@orderflow/resilience';
import { encodeEvent, newEvent, type AnyEvent, type FulfillmentEventType, type FulfillmentOutcome, type OrderSnapshot } from '@orderflow/events';
import type { Logger } from '@orderflow/logging';
import type { FulfillmentJob, Prisma, PrismaClient } from '../generated/prisma/client';
import type { FulfillmentMetrics } from '../fulfillment.metrics';
import { PoolExhaustedError, type Fulfiller, type Issued } from './fulfiller';

export interface JobRunnerOptions {
  prisma: PrismaClient;
  /** Plain SQL (`rawClient`) for claiming and running jobs; failures are recorded through `prisma`. */
  sql: RawClient;
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

export type JobRef = Pick<FulfillmentJob, 'orderId' | 'instanceId' | 'round'>;

/** A fulfillment event as an outbox message. Its ID names the job's round: one outcome per round. */
export function outcomeMessage(type: FulfillmentEventType, job: JobRef, traceId: string, payload: FulfillmentOutcome): OutboxMessage {
  const event = newEvent({ type, eventId: `${type}:${job.orderId}:${job.round}`, orderKey: job.orderId, instanceId: job.instanceId, traceId, payload });
  return encodeEvent(event as AnyEvent);
}

/** Puts a fulfillment event in the outbox, in the caller's transaction. */
export async function emit(tx: Tx, type: FulfillmentEventType, job: JobRef, traceId: string, payload: FulfillmentOutcome): Promise<void> {
  await enqueue(tx, outcomeMessage(type, job, traceId, payload));
}

/** The payload of `fulfillment.completed` for a job whose items were just issued. */
export function completion(job: Pick<FulfillmentJob, 'orderId' | 'instanceId'>, order: OrderSnapshot, issued: Issued): FulfillmentOutcome {
  return { orderId: job.orderId, instanceId: job.instanceId, customer: order.customer, reason: null, ...issued };
}

/** Bounds every lock wait of the rest of the transaction: a statement waiting longer fails the attempt. */
export async function setLockTimeout(tx: Tx, ms: number): Promise<void> {
  await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = '${Math.max(1, Math.floor(ms))}ms'`);
}

export function snapshotOf(job: Pick<FulfillmentJob, 'snapshot'>): OrderSnapshot {
  return job.snapshot as unknown as OrderSnapshot;
}

type ClaimedJob = Pick<FulfillmentJob, 'orderId' | 'instanceId' | 'round' | 'snapshot' | 'createdAt'>;

/**
 * Claims the most overdue PENDING job (SKIP LOCKED: replicas take different ones) and marks it
 * COMPLETED in the same statement. The mark is provisional: it commits with the items and the
 * outcome event, and an issuing failure rolls it back with them, leaving the job PENDING for
 * `failed` to count the attempt. One statement where a select, a locking select, a read of the
 * row and an update were four.
 */
const CLAIM_AND_COMPLETE = `
UPDATE fulfillment_jobs SET status = 'COMPLETED', completed_at = now(), updated_at = now(), last_error = NULL
WHERE order_id = (
  SELECT order_id FROM fulfillment_jobs WHERE status = 'PENDING' AND next_attempt_at <= now()
  ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING order_id AS "orderId", instance_id AS "instanceId", round, snapshot, created_at AS "createdAt"`;

const ANY_DUE = `SELECT 1 FROM fulfillment_jobs WHERE status = 'PENDING' AND next_attempt_at <= now() LIMIT 1`;

/**
 * Runs the due jobs the orders consumer left PENDING (license lines, restarted rounds, whatever
 * failed there) and retries, one transaction each: claim the job as COMPLETED, issue, publish
 * `fulfillment.completed` — or roll all of it back.
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

  /** Runs the most overdue job; false when none was due (or every due one is another replica's). */
  private async runOne(): Promise<boolean> {
    const { sql, fulfiller, metrics, lockTimeoutMs } = this.options;
    // One indexed read first, so an idle poll costs a statement rather than a transaction.
    const due = await sql.$queryRawUnsafe<unknown[]>(ANY_DUE);
    if (due.length === 0) return false;
    let job: ClaimedJob | undefined;
    try {
      await sql.$transaction(async (tx) => {
        await setLockTimeout(tx, lockTimeoutMs);
        [job] = await tx.$queryRawUnsafe<ClaimedJob[]>(CLAIM_AND_COMPLETE);
        if (!job) return;
        const order = snapshotOf(job);
        const issued = await fulfiller.issue(tx, order);
        await emit(tx, 'fulfillment.completed', job, `fulfillment-${job.orderId}`, completion(job, order, issued));
      });
    } catch (err) {
      // Nothing claimed: the claim itself failed (the database is down); the loop polls again.
      if (!job) throw err;
      await this.failed(job.orderId, err);
      return true;
    }
    if (!job) return false;
    metrics.duration.observe({ outcome: 'completed' }, (Date.now() - job.createdAt.getTime()) / 1000);
    this.options.relay.notify();
    return true;
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
        const delay = backoffDelay(attempts, { initialMs: this.options.retryBaseMs, maxMs: this.options.retryMaxMs, jitter: 'none' });
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
