import { claimEvents, enqueueMany, isDatabaseUnavailable, type RawClient, type Tx } from '@orderflow/db';
import type { AnyEvent, FulfillmentOutcome, OrderSnapshot } from '@orderflow/events';
import type { BatchEventHandler, EventHandler } from '@orderflow/kafka';
import type { Logger } from '@orderflow/logging';
import type { FulfillmentMetrics } from '../fulfillment.metrics';
import type { Fulfiller } from './fulfiller';
import { completion, emit, outcomeMessage, setLockTimeout, type JobRef } from './jobs';

export interface OrdersConsumerDeps {
  /** Plain SQL transactions (`rawClient`): the consumer runs raw statements only. */
  sql: () => RawClient;
  fulfiller: Fulfiller;
  metrics: FulfillmentMetrics;
  logger: Logger;
  /** Lock waits of the issuing done here, bounded as in the job runner (FULFILLMENT_LOCK_TIMEOUT). */
  lockTimeoutMs: number;
  /** After a commit that made a job due. */
  jobsDue: () => void;
  /** After a commit that put events in the outbox. */
  published: () => void;
}

/**
 * The orders topic, as fulfillment cares about it. Each event is handled once: its
 * processed_events mark commits with its effects.
 *
 * A new order whose lines need nothing but rows of this database (tickets, external lines) is
 * fulfilled right here, in the transaction that records its job, already COMPLETED with
 * `fulfillment.completed` in the outbox: no second transaction in the job runner to poll for,
 * claim, re-read and complete it (an order alone: 18 statements in this database, outbox relay
 * included, became 9; in runs of a few orders, 2 to 4 per order). Everything else becomes a
 * PENDING job for the job runner: license lines (a pool can run dry, and its failure and retry
 * policy lives there), rounds started again (promotions), and any run whose fulfilling fails here
 * — that run is recorded again without fulfilling, so a failing fulfillment never holds up the
 * partition behind it.
 */
export function ordersHandler(deps: OrdersConsumerDeps): EventHandler {
  return (event) => handleOrders(deps, [event]);
}

/**
 * The same for a run of consecutive events of one partition, in one transaction. If it throws,
 * the consumer runner hands the run to `ordersHandler` one event at a time.
 */
export function ordersBatchHandler(deps: OrdersConsumerDeps): BatchEventHandler {
  return (run) => handleOrders(deps, run.map(({ event }) => event));
}

interface Work {
  eventId: string;
  traceId: string;
  kind: 'start' | 'void';
  order: OrderSnapshot;
}

interface RunOutcome {
  jobsDue: boolean;
  published: boolean;
  completed: number;
}

/**
 * Applies the run, fulfilling what it can; if that fails for any reason but an outage (which
 * pauses the partition instead), applies it again leaving every new job to the job runner.
 */
async function handleOrders(deps: OrdersConsumerDeps, events: readonly AnyEvent[]): Promise<void> {
  const work = events.flatMap(workFor);
  if (work.length === 0) return;
  const startedAt = Date.now();
  let outcome: RunOutcome;
  try {
    outcome = await applyRun(deps, work, { fulfill: true });
  } catch (err) {
    if (isDatabaseUnavailable(err) || !work.some((w) => w.kind === 'start' && fulfilledHere(w.order))) throw err;
    deps.logger.warn({ err, events: work.length }, 'fulfilling in the consumer failed; the job runner takes the jobs');
    outcome = await applyRun(deps, work, { fulfill: false });
  }
  const seconds = (Date.now() - startedAt) / 1000;
  for (let i = 0; i < outcome.completed; i++) deps.metrics.duration.observe({ outcome: 'completed' }, seconds);
  if (outcome.jobsDue) deps.jobsDue();
  if (outcome.published) deps.published();
}

/** Tickets and external lines; license keys are left to the job runner. */
function fulfilledHere(order: OrderSnapshot): boolean {
  return order.lines.every((line) => line.kind !== 'license');
}

/**
 * One transaction for the run: the events new to this consumer, each once, in offset order.
 * The starts that create a job are written together (below); every other event goes through
 * startJob or voidOrder one at a time, in order, exactly as if it came alone.
 */
async function applyRun(deps: OrdersConsumerDeps, work: readonly Work[], options: { fulfill: boolean }): Promise<RunOutcome> {
  return deps.sql().$transaction(async (tx) => {
    const fresh = await claimEvents(tx, 'fulfillment', work.map((w) => w.eventId));
    // `delete` is true once per ID: an event delivered twice in the run is handled the first time.
    const todo = work.filter((w) => fresh.delete(w.eventId));
    const completes = (w: Work) => options.fulfill && fulfilledHere(w.order);
    const created = new Set(await insertNewJobs(tx, soleStarts(todo), completes));
    const outcome: RunOutcome = { jobsDue: false, published: false, completed: 0 };
    for (const w of todo) {
      if (created.has(w)) continue;
      if (w.kind === 'void') {
        await voidOrder(tx, w.order, w.traceId, deps.metrics);
        outcome.published = true;
      } else if (await startJob(tx, w.order)) {
        outcome.jobsDue = true;
      }
    }
    const fulfilled = [...created].filter(completes);
    await fulfillNewJobs(deps, tx, fulfilled);
    outcome.jobsDue ||= fulfilled.length < created.size;
    outcome.published ||= fulfilled.length > 0;
    outcome.completed = fulfilled.length;
    return outcome;
  });
}

/** The starts that are the only event of the run about their order: each may create a job. */
function soleStarts(todo: readonly Work[]): Work[] {
  const events = new Map<string, number>();
  for (const w of todo) events.set(w.order.orderId, (events.get(w.order.orderId) ?? 0) + 1);
  return todo.filter((w) => w.kind === 'start' && events.get(w.order.orderId) === 1);
}

/**
 * A job for each of `starts` whose order has none yet, in one statement that also tells which
 * (ON CONFLICT DO NOTHING: an existing job is startJob's). A job fulfilled in this transaction is
 * inserted COMPLETED at once: the mark commits with its items and outcome, or rolls back with them.
 */
async function insertNewJobs(tx: Tx, starts: readonly Work[], completes: (w: Work) => boolean): Promise<Work[]> {
  if (starts.length === 0) return [];
  const jobs = starts.map((w) => ({ orderId: w.order.orderId, instanceId: w.order.instanceId, completed: completes(w), snapshot: w.order }));
  const inserted = await tx.$queryRawUnsafe<Array<{ orderId: string }>>(INSERT_NEW_JOBS, JSON.stringify(jobs));
  const orderIds = new Set(inserted.map((job) => job.orderId));
  return starts.filter((w) => orderIds.has(w.order.orderId));
}

/** The jobs in $1 (a JSON array), round 1, but for orders that have one; returns the ones inserted. */
const INSERT_NEW_JOBS = `
INSERT INTO fulfillment_jobs (order_id, instance_id, status, snapshot, completed_at)
SELECT j->>'orderId', j->>'instanceId', CASE WHEN (j->>'completed')::boolean THEN 'COMPLETED' ELSE 'PENDING' END, j->'snapshot',
       CASE WHEN (j->>'completed')::boolean THEN now() END
FROM jsonb_array_elements($1::jsonb) AS jobs(j)
ON CONFLICT (order_id) DO NOTHING
RETURNING order_id AS "orderId"`;

/** Issues the items of new jobs and puts their `fulfillment.completed` in the outbox, in one statement. */
async function fulfillNewJobs(deps: OrdersConsumerDeps, tx: Tx, fulfilled: readonly Work[]): Promise<void> {
  if (fulfilled.length === 0) return;
  if (fulfilled.some((w) => w.order.lines.some((line) => line.kind === 'ticket'))) await setLockTimeout(tx, deps.lockTimeoutMs);
  const issued = await deps.fulfiller.issueAll(tx, fulfilled.map((w) => w.order));
  await enqueueMany(
    tx,
    fulfilled.map((w, i) => {
      const job = firstRound(w.order);
      return outcomeMessage('fulfillment.completed', job, w.traceId, completion(job, w.order, issued[i]!));
    }),
  );
}

function firstRound(order: OrderSnapshot): JobRef {
  return { orderId: order.orderId, instanceId: order.instanceId, round: 1 };
}

function workFor(event: AnyEvent): Work[] {
  const intent = intentOf(event);
  return intent ? [{ eventId: event.eventId, traceId: event.traceId, ...intent }] : [];
}

function intentOf(event: AnyEvent): Pick<Work, 'kind' | 'order'> | null {
  switch (event.type) {
    case 'order.ready_to_fulfill':
      return { kind: 'start', order: event.payload };
    case 'registration.promoted':
      // A waitlisted ticket line got its places: its tickets are due now.
      return { kind: 'start', order: event.payload.order };
    case 'order.refunded':
      // A partial refund keeps the order's tickets and licenses.
      return event.payload.status === 'REFUNDED' ? { kind: 'void', order: event.payload } : null;
    case 'order.cancelled':
      return { kind: 'void', order: event.payload };
    default:
      return null;
  }
}

/**
 * A job for the order, or the existing one started again (a new round: an admin retry, a
 * promotion) with the latest snapshot. A voided order stays voided, whatever arrives later.
 */
async function startJob(tx: Tx, order: OrderSnapshot): Promise<boolean> {
  const started = await tx.$queryRawUnsafe<unknown[]>(START_JOB, order.orderId, order.instanceId, JSON.stringify(order));
  return started.length > 0;
}

/**
 * startJob in one statement: a new PENDING job; a PENDING one keeps its round, attempts and
 * schedule and takes the snapshot; a COMPLETED or FAILED one starts its next round, due now; a
 * VOIDED one is left alone (no row returned).
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

/**
 * Refunded or cancelled: tickets voided, licenses revoked (their keys never go back to the pool),
 * the job ended, `fulfillment.voided` published. A void that arrives before anything was issued
 * leaves a VOIDED job behind, so a late or replayed ready_to_fulfill issues nothing.
 */
export async function voidOrder(tx: Tx, order: OrderSnapshot, traceId: string, metrics: FulfillmentMetrics): Promise<void> {
  const [job] = await tx.$queryRawUnsafe<Array<JobRef & { snapshot: OrderSnapshot }>>(VOID_JOB, order.orderId, order.instanceId, JSON.stringify(order));
  if (!job) return;
  const tickets = await tx.$queryRawUnsafe<NonNullable<FulfillmentOutcome['tickets']>>(VOID_TICKETS, order.orderId);
  const licenses = await tx.$queryRawUnsafe<NonNullable<FulfillmentOutcome['licenses']>>(REVOKE_LICENSES, order.orderId);
  if (tickets.length) metrics.voids.inc({ kind: 'ticket' }, tickets.length);
  if (licenses.length) metrics.voids.inc({ kind: 'license' }, licenses.length);
  await emit(tx, 'fulfillment.voided', job, traceId, {
    orderId: order.orderId,
    instanceId: order.instanceId,
    customer: job.snapshot.customer,
    reason: order.status === 'REFUNDED' ? 'refunded' : 'cancelled',
    tickets,
    licenses,
  });
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

/** Voids the issued tickets of order $1; returns them by line and seat, as `fulfillment.voided` lists them. */
const VOID_TICKETS = `
WITH voided AS (
  UPDATE tickets SET status = 'VOIDED', voided_at = now() WHERE order_id = $1 AND status = 'ISSUED'
  RETURNING id, line_id, seat, capacity_key, code)
SELECT id AS "ticketId", line_id AS "lineId", seat, capacity_key AS "capacityKey", code FROM voided ORDER BY line_id, seat`;

/** Revokes the assigned license keys of order $1 (they never go back to the pool); returns them by ID. */
const REVOKE_LICENSES = `
WITH revoked AS (
  UPDATE license_keys SET status = 'REVOKED', revoked_at = now() WHERE order_id = $1 AND status = 'ASSIGNED'
  RETURNING id, line_id, product_id, unit, key_hint)
SELECT id::text AS "licenseId", coalesce(line_id, '') AS "lineId", product_id AS "productId", coalesce(unit, 0) AS unit, key_hint AS "keyHint"
FROM revoked ORDER BY id`;
