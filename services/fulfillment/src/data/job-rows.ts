import type { Tx } from '@orderflow/db';
import type { OrderSnapshot } from '@orderflow/events';
import type { JobRef } from '../domain/outcomes';

/**
 * Fulfillment jobs in SQL: the orders consumer's and the job runner's statements, on a raw
 * transaction (`rawClient`) or a Prisma one alike. Support's reads and the recording of a failed
 * attempt are Prisma (jobs.repository.ts).
 */

/** A job with the snapshot its items are (or were) issued for. */
export type SnapshotJob = JobRef & { snapshot: OrderSnapshot };

/** A job the runner claimed. */
export type ClaimedJob = SnapshotJob & { createdAt: Date };

/** Bounds every lock wait of the rest of the transaction: a statement waiting longer fails the attempt. */
export async function setLockTimeout(tx: Tx, ms: number): Promise<void> {
  await tx.$executeRawUnsafe(`SET LOCAL lock_timeout = '${Math.max(1, Math.floor(ms))}ms'`);
}

const ANY_DUE = `SELECT 1 FROM fulfillment_jobs WHERE status = 'PENDING' AND next_attempt_at <= now() LIMIT 1`;

/** Whether a job is due: one indexed read, so an idle poll costs a statement rather than a transaction. */
export async function anyJobDue(sql: Tx): Promise<boolean> {
  const due = await sql.$queryRawUnsafe<unknown[]>(ANY_DUE);
  return due.length > 0;
}

/**
 * Claims the most overdue PENDING job (SKIP LOCKED: replicas take different ones) and marks it
 * COMPLETED in the same statement. The mark is provisional: it commits with the items and the
 * outcome event, and an issuing failure rolls it back with them, leaving the job PENDING for
 * attempt-failed.ts to count the attempt. One statement where a select, a locking select, a read
 * of the row and an update were four.
 */
const CLAIM_AND_COMPLETE = `
UPDATE fulfillment_jobs SET status = 'COMPLETED', completed_at = now(), updated_at = now(), last_error = NULL
WHERE order_id = (
  SELECT order_id FROM fulfillment_jobs WHERE status = 'PENDING' AND next_attempt_at <= now()
  ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED)
RETURNING order_id AS "orderId", instance_id AS "instanceId", round, snapshot, created_at AS "createdAt"`;

/** The claimed job, or undefined when none was due (or every due one is another replica's). */
export async function claimDueJob(tx: Tx): Promise<ClaimedJob | undefined> {
  const [job] = await tx.$queryRawUnsafe<ClaimedJob[]>(CLAIM_AND_COMPLETE);
  return job;
}

/** A new job: round 1, COMPLETED at once when it is fulfilled in the transaction that inserts it. */
export interface NewJob {
  order: OrderSnapshot;
  completed: boolean;
}

/**
 * A job for each of `jobs` whose order has none yet, in one statement that also tells which
 * (ON CONFLICT DO NOTHING: an existing job is startJob's). Returns the order IDs inserted.
 */
export async function insertNewJobs(tx: Tx, jobs: readonly NewJob[]): Promise<Set<string>> {
  const rows = jobs.map(({ order, completed }) => ({ orderId: order.orderId, instanceId: order.instanceId, completed, snapshot: order }));
  const inserted = await tx.$queryRawUnsafe<Array<{ orderId: string }>>(INSERT_NEW_JOBS, JSON.stringify(rows));
  return new Set(inserted.map((job) => job.orderId));
}

/** The jobs in $1 (a JSON array), round 1, but for orders that have one; returns the ones inserted. */
const INSERT_NEW_JOBS = `
INSERT INTO fulfillment_jobs (order_id, instance_id, status, snapshot, completed_at)
SELECT j->>'orderId', j->>'instanceId', CASE WHEN (j->>'completed')::boolean THEN 'COMPLETED' ELSE 'PENDING' END, j->'snapshot',
       CASE WHEN (j->>'completed')::boolean THEN now() END
FROM jsonb_array_elements($1::jsonb) AS jobs(j)
ON CONFLICT (order_id) DO NOTHING
RETURNING order_id AS "orderId"`;

/** START_JOB for the order; false when its job is VOIDED (and stays so). */
export async function startJob(tx: Tx, order: OrderSnapshot): Promise<boolean> {
  const started = await tx.$queryRawUnsafe<unknown[]>(START_JOB, order.orderId, order.instanceId, JSON.stringify(order));
  return started.length > 0;
}

/**
 * A new PENDING job; a PENDING one keeps its round, attempts and schedule and takes the snapshot;
 * a COMPLETED or FAILED one starts its next round, due now; a VOIDED one is left alone (no row
 * returned).
 */
const START_JOB = `
INSERT INTO fulfillment_jobs AS job (order_id, instance_id, status, snapshot) VALUES ($1, $2, 'PENDING', $3::jsonb)
ON CONFLICT (order_id) DO UPDATE SET
  snapshot = EXCLUDED.snapshot,
  updated_at = now(),
  status = 'PENDING',
  round = CASE WHEN job.status = 'PENDING' THEN job.round ELSE job.round + 1 END,
  attempts = CASE WHEN job.status = 'PENDING' THEN job.attempts ELSE 0 END,
  next_attempt_at = CASE WHEN job.status = 'PENDING' THEN job.next_attempt_at ELSE now() END,
  last_error = CASE WHEN job.status = 'PENDING' THEN job.last_error ELSE NULL END
WHERE job.status <> 'VOIDED'
RETURNING order_id`;

/** VOID_JOB for the order: the job as voided, or undefined if it already was. */
export async function voidJob(tx: Tx, order: OrderSnapshot): Promise<SnapshotJob | undefined> {
  const [job] = await tx.$queryRawUnsafe<SnapshotJob[]>(VOID_JOB, order.orderId, order.instanceId, JSON.stringify(order));
  return job;
}

/**
 * The job of order $1 VOIDED in its next round, or a new one VOIDED from the start (snapshot $3);
 * no row if it already was. The snapshot returned is the job's (the one its items were issued for).
 */
const VOID_JOB = `
INSERT INTO fulfillment_jobs AS job (order_id, instance_id, status, snapshot, voided_at) VALUES ($1, $2, 'VOIDED', $3::jsonb, now())
ON CONFLICT (order_id) DO UPDATE SET status = 'VOIDED', voided_at = now(), updated_at = now(), round = job.round + 1
WHERE job.status <> 'VOIDED'
RETURNING order_id AS "orderId", instance_id AS "instanceId", round, snapshot`;
