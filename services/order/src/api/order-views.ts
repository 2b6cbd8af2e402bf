import { snapshotOf, type LoadedOrder } from '../domain/order';

/** An order as the APIs show it: the same snapshot consumers receive, without the event fields. */
export function orderView(order: LoadedOrder) {
  const { previousStatus: _previous, causedBy: _cause, ...view } = snapshotOf(order, null, null);
  return { ...view, fulfillmentFailure: order.fulfillmentFailure };
}

/** Cursor pagination over `id`: the cursor is the last ID of the previous page. */
export function page<T extends { id: string }>(rows: T[], limit: number) {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? (items[items.length - 1]?.id ?? null) : null };
}
