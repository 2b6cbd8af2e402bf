import type { Tx } from '@orderflow/db';
import type { OrderSnapshot } from '@orderflow/events';
import { insertNewJobs, startJob } from '../data/job-rows';

/**
 * `order.ready_to_fulfill` or `registration.promoted`: a job for the order, or the existing one
 * started again (a new round: an admin retry, a promotion) with the latest snapshot, for the job
 * runner. A voided order stays voided, whatever arrives later. Whether a job is now due.
 */
export async function startFulfillment(tx: Tx, order: OrderSnapshot): Promise<boolean> {
  return startJob(tx, order);
}

/**
 * The same for the starts of a run whose orders have no job yet, in one statement: a job for each
 * of them, COMPLETED at once where `completes` says the caller fulfills it in this transaction
 * (the mark commits with its items and outcome, or rolls back with them). Returns the starts that
 * created a job; an order that had one already is startFulfillment's.
 */
export async function startNewFulfillments<S extends { order: OrderSnapshot }>(tx: Tx, starts: readonly S[], completes: (start: S) => boolean): Promise<S[]> {
  if (starts.length === 0) return [];
  const inserted = await insertNewJobs(tx, starts.map((start) => ({ order: start.order, completed: completes(start) })));
  return starts.filter((start) => inserted.has(start.order.orderId));
}
