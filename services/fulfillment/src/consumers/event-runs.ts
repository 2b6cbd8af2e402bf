import { claimEvents, isDatabaseUnavailable, type Tx } from '@orderflow/db';
import type { OrderSnapshot } from '@orderflow/events';
import { fulfilledOnArrival } from '../domain/order-lines';
import { fulfillNewOrders } from '../use-cases/fulfill-order';
import { startNewFulfillments } from '../use-cases/start-fulfillment';
import type { OrdersConsumerDeps } from './orders.consumer';

/**
 * How the orders consumer applies events, one alone or a run of them, in one transaction.
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

/** An event the consumer acts on: its order's fulfillment started, or voided. */
export interface Work {
  eventId: string;
  traceId: string;
  kind: 'start' | 'void';
  order: OrderSnapshot;
}

/** What one event's use case did, for what to wake after the commit. */
export interface Effects {
  jobsDue?: boolean;
  published?: boolean;
}

/** One event's use case, applied in the run's transaction. */
export type Route = (tx: Tx, work: Work) => Promise<Effects>;

interface RunOutcome {
  jobsDue: boolean;
  published: boolean;
  completed: number;
}

/**
 * Applies the run, fulfilling what it can; if that fails for any reason but an outage (which
 * pauses the partition instead), applies it again leaving every new job to the job runner.
 */
export async function handleRun(deps: OrdersConsumerDeps, work: readonly Work[], route: Route): Promise<void> {
  if (work.length === 0) return;
  const startedAt = Date.now();
  let outcome: RunOutcome;
  try {
    outcome = await applyRun(deps, work, route, { fulfill: true });
  } catch (err) {
    if (isDatabaseUnavailable(err) || !work.some((w) => w.kind === 'start' && fulfilledOnArrival(w.order))) throw err;
    deps.logger.warn({ err, events: work.length }, 'fulfilling in the consumer failed; the job runner takes the jobs');
    outcome = await applyRun(deps, work, route, { fulfill: false });
  }
  const seconds = (Date.now() - startedAt) / 1000;
  for (let i = 0; i < outcome.completed; i++) deps.metrics.duration.observe({ outcome: 'completed' }, seconds);
  if (outcome.jobsDue) deps.jobsDue();
  if (outcome.published) deps.published();
}

/**
 * One transaction for the run: the events new to this consumer, each once, in offset order.
 * The starts that create a job are written together (startNewFulfillments); every other event
 * goes through `route` one at a time, in order, exactly as if it came alone.
 */
async function applyRun(deps: OrdersConsumerDeps, work: readonly Work[], route: Route, options: { fulfill: boolean }): Promise<RunOutcome> {
  return deps.sql().$transaction(async (tx) => {
    const fresh = await claimEvents(tx, 'fulfillment', work.map((w) => w.eventId));
    // `delete` is true once per ID: an event delivered twice in the run is handled the first time.
    const todo = work.filter((w) => fresh.delete(w.eventId));
    const completes = (w: Work) => options.fulfill && fulfilledOnArrival(w.order);
    const created = new Set(await startNewFulfillments(tx, soleStarts(todo), completes));
    const outcome: RunOutcome = { jobsDue: false, published: false, completed: 0 };
    for (const w of todo) {
      if (created.has(w)) continue;
      const effects = await route(tx, w);
      outcome.jobsDue ||= effects.jobsDue ?? false;
      outcome.published ||= effects.published ?? false;
    }
    const fulfilled = [...created].filter(completes);
    await fulfillNewOrders(tx, deps, fulfilled);
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
