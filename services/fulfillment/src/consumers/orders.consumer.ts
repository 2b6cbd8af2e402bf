import type { RawClient, Tx } from '@orderflow/db';
import type { AnyEvent } from '@orderflow/events';
import type { BatchEventHandler, EventHandler } from '@orderflow/kafka';
import type { Logger } from '@orderflow/logging';
import type { FulfillmentMetrics } from '../metrics';
import type { Fulfiller } from '../use-cases/fulfill-order';
import { startFulfillment } from '../use-cases/start-fulfillment';
import { voidOrder } from '../use-cases/void-order';
import { handleRun, type Effects, type Work } from './event-runs';

/**
 * The consumer of `orders.events` (Topics.orders), as fulfillment cares about it: an order ready
 * to fulfill or a promoted registration starts its fulfillment (start-fulfillment.ts), a refund in
 * full or a cancellation voids it (void-order.ts); the topic's other events are not about what
 * fulfillment issued. How a run of events is applied, and fulfilled there, is event-runs.ts.
 */

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

/** Each event handled once: its processed_events mark commits with its effects. */
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

function handleOrders(deps: OrdersConsumerDeps, events: readonly AnyEvent[]): Promise<void> {
  return handleRun(deps, events.flatMap(workFor), (tx, work) => route(deps, tx, work));
}

/** One event's use case, exactly as if it came alone. */
async function route(deps: OrdersConsumerDeps, tx: Tx, work: Work): Promise<Effects> {
  if (work.kind === 'void') {
    await voidOrder(tx, work.order, work.traceId, deps.metrics);
    return { published: true };
  }
  return { jobsDue: await startFulfillment(tx, work.order) };
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
