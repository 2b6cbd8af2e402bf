import { claimEvents, processOnce, type OutboxRelay, type RawClient, type Tx } from '@orderflow/db';
import type { AnyEvent } from '@orderflow/events';
import type { BatchEventHandler, EventHandler } from '@orderflow/kafka';
import type { OrderBook } from '../data/order-book';
import type { Cause, OrderLookup, OrderReference } from '../domain/order';
import { fulfillmentReferences, handleFulfillment } from './fulfillment.consumer';
import type { StripeHandler } from './stripe-ingress.consumer';
import type { WixHandler } from './wix-ingress.consumer';

/**
 * How the order service's consumers run, whichever of its three topics an event came from: in a
 * transaction once per event, or a fetched batch in runs. Each event is then routed to its
 * topic's consumer (stripe-ingress, wix-ingress, fulfillment), which hands it to a use case.
 */

export interface OrderConsumerDeps {
  /** Plain SQL on the service's database: consumed events cost no Prisma client work. */
  sql: () => RawClient;
  book: OrderBook;
  stripe: StripeHandler;
  wix: WixHandler;
  relay: () => OutboxRelay | undefined;
}

/** The idempotency key's consumer name: one effect per provider event, however often delivered. */
export const ORDER_CONSUMER = 'order';

/**
 * The handler for the ingress and fulfillment topics. Each event runs inside one transaction
 * with its processed-events row (processOnce), so a redelivery or an admin replay of the same
 * provider event has no second effect; the outbox rows it wrote are published after commit.
 */
export function orderEventHandler(deps: OrderConsumerDeps): EventHandler {
  return async (event) => {
    await processOnce(deps.sql(), { consumer: ORDER_CONSUMER, eventId: eventIdOf(event) }, (tx) => route(deps, tx, event, causeOf(event)));
    deps.relay()?.notify();
  };
}

/** Transactions one run is split into, each over its own orders, running side by side. */
const RUN_SLICES = 4;

/**
 * The same handling for a run of one partition's events, a few transactions per run instead of
 * one per event: in each, one statement marks its events processed, one locks and reads every
 * order they look up, their new orders and their changes are a statement each (or a few, when
 * something must read what was written first), one writes their announcements to the outbox,
 * one commit covers them all.
 *
 * The run is sorted by order key (one order's events keep their order) and cut into up to
 * RUN_SLICES slices of whole orders, handled concurrently: an event's statements wait on each
 * other, so orders side by side finish sooner than orders in a row. Every transaction locks its
 * orders at once, in ID order, so neither two slices nor two runs that meet on the same orders (a
 * payment run and a fulfillment run of the same partition number) can deadlock each other. If
 * any slice fails, the call fails once all have ended and the runner handles the run's events
 * one at a time: those a committed slice handled are then found processed.
 */
export function orderBatchHandler(deps: OrderConsumerDeps): BatchEventHandler {
  return async (run) => {
    const events = run.map(({ event }) => event).sort((a, b) => (a.orderKey < b.orderKey ? -1 : a.orderKey > b.orderKey ? 1 : 0));
    const outcomes = await Promise.allSettled(slicesOf(events).map((slice) => handleSlice(deps, slice)));
    deps.relay()?.notify();
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  };
}

async function handleSlice(deps: OrderConsumerDeps, events: readonly AnyEvent[]): Promise<void> {
  // Slices of concurrent runs may wait for a pooled connection; inside, the transaction awaits
  // only its own statements.
  await deps.sql().$transaction(async (tx) => {
    const fresh = await claimEvents(tx, ORDER_CONSUMER, events.map(eventIdOf));
    // Processed before, or a repeat of an event earlier in this run.
    const todo = events.filter((event) => fresh.delete(eventIdOf(event)));
    const references = todo.flatMap((event) => lookupsOf(deps, event)).filter((reference): reference is [OrderReference, string] => reference[1] !== null);
    await deps.book.handlingRun(tx, references, async (run) => {
      for (const event of todo) await route(deps, run, event, causeOf(event));
    });
  });
}

/** What handling `event` looks its order up by. */
function lookupsOf(deps: OrderConsumerDeps, event: AnyEvent): OrderLookup {
  switch (event.source) {
    case 'stripe':
      return deps.stripe.references(event as Parameters<StripeHandler['references']>[0]);
    case 'wix':
      return deps.wix.references(event as Parameters<WixHandler['references']>[0]);
    case 'fulfillment':
      return fulfillmentReferences(event);
    default:
      return [];
  }
}

/** Up to RUN_SLICES consecutive slices of `sorted` of about equal size; no order spans two. */
function slicesOf(sorted: readonly AnyEvent[]): AnyEvent[][] {
  const target = Math.ceil(sorted.length / RUN_SLICES);
  const slices: AnyEvent[][] = [];
  let current: AnyEvent[] = [];
  for (const event of sorted) {
    const previous = current[current.length - 1];
    if (current.length >= target && previous && previous.orderKey !== event.orderKey) {
      slices.push(current);
      current = [];
    }
    current.push(event);
  }
  if (current.length > 0) slices.push(current);
  return slices;
}

const eventIdOf = (event: AnyEvent): string => `${event.source}:${event.eventId}`;
const causeOf = (event: AnyEvent): Cause => ({ kind: event.type, eventId: eventIdOf(event), traceId: event.traceId });

async function route(deps: OrderConsumerDeps, tx: Tx, event: AnyEvent, cause: Cause): Promise<void> {
  switch (event.source) {
    case 'stripe':
      return deps.stripe.handle(tx, event as Parameters<StripeHandler['handle']>[1], cause);
    case 'wix':
      return deps.wix.handle(tx, event as Parameters<WixHandler['handle']>[1], cause);
    case 'fulfillment':
      return handleFulfillment(deps.book, tx, event, cause);
    default:
      // Our own domain events share no topic with these consumers; anything else is ignored.
      return;
  }
}
