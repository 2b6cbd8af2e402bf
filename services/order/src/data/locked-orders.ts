import type { Order } from '../generated/prisma/client';
import { referencesOf, type LoadedOrder, type OrderReference } from '../domain/order';

const keyOf = (reference: OrderReference, value: string) => `${reference}\u0000${value}`;

/**
 * The orders a transaction locked ahead, in one statement, for the run of events it handles
 * (`OrderBook.handlingRun`): each event's lookup is answered from here instead of by a statement
 * of its own. What it knows is only what the transaction itself has not changed since:
 *
 * - an order is handed out once; a second lookup of it reads the database (the row lock is held
 *   already, so that read is what the first one would have been);
 * - a reference asked for and not found stays "none" only until the transaction writes an order
 *   with that reference (creates it, or links a Checkout Session or PaymentIntent to an order);
 * - a reference not asked for ahead is not known here: the lookup reads the database.
 */
export class LockedOrders {
  private readonly found = new Map<string, LoadedOrder>();
  private readonly absent = new Set<string>();

  constructor(asked: ReadonlyArray<readonly [OrderReference, string]>, orders: readonly LoadedOrder[]) {
    for (const order of orders) for (const [reference, value] of referencesOf(order)) this.found.set(keyOf(reference, value), order);
    for (const [reference, value] of asked) if (!this.found.has(keyOf(reference, value))) this.absent.add(keyOf(reference, value));
  }

  /**
   * The order the first of `references` (in their order) finds, null when none finds one, or
   * undefined when that is not known here.
   */
  lookup(references: ReadonlyArray<readonly [OrderReference, string | null]>): LoadedOrder | null | undefined {
    for (const [reference, value] of references) {
      if (value === null) continue;
      const key = keyOf(reference, value);
      const order = this.found.get(key);
      if (order) {
        this.forget(order.id);
        return order;
      }
      if (!this.absent.has(key)) return undefined;
    }
    return null;
  }

  /** The transaction wrote `order` (as it now stands): what was known of it, or of its references, is stale. */
  written(order: Order): void {
    this.forget(order.id);
    for (const [reference, value] of referencesOf(order)) this.absent.delete(keyOf(reference, value));
  }

  private forget(id: string): void {
    for (const [key, order] of this.found) if (order.id === id) this.found.delete(key);
  }
}
