import type { Tx } from '@orderflow/db';
import { insertOrders, updateOrders, type OrderInsert, type OrderUpdate } from './order-rows';

/**
 * The order rows a transaction inserts and changes, held back and written a statement each
 * (inserts, then changes) when anything else is about to run in that transaction: `tx` is the
 * transaction with every statement preceded by that write. So a run's 40 new orders are one
 * statement instead of 40, and no statement, this service's or another module's, ever sees the
 * database without a write made before it. (An order changed twice before anything else ran
 * takes a statement per change: one UPDATE sets a row once.)
 */
export class DeferredOrderWrites {
  readonly tx: Tx;
  private inserts: OrderInsert[] = [];
  private updates: OrderUpdate[] = [];

  constructor(private readonly inner: Tx) {
    this.tx = {
      $queryRawUnsafe: async <T>(query: string, ...values: unknown[]): Promise<T> => {
        await this.flush();
        return inner.$queryRawUnsafe<T>(query, ...values);
      },
      $executeRawUnsafe: async (query: string, ...values: unknown[]): Promise<number> => {
        await this.flush();
        return inner.$executeRawUnsafe(query, ...values);
      },
    };
  }

  insert(row: OrderInsert): void {
    this.inserts.push(row);
  }

  update(row: OrderUpdate): void {
    this.updates.push(row);
  }

  /** Writes what is held back, in the order it was made. */
  async flush(): Promise<void> {
    if (this.inserts.length > 0) {
      const inserts = this.inserts;
      this.inserts = [];
      await insertOrders(this.inner, inserts);
    }
    while (this.updates.length > 0) {
      // The longest prefix that changes each order once.
      const seen = new Set<string>();
      let end = 0;
      while (end < this.updates.length && !seen.has(this.updates[end].id)) seen.add(this.updates[end++].id);
      const batch = this.updates.slice(0, end);
      this.updates = this.updates.slice(end);
      await updateOrders(this.inner, batch);
    }
  }
}
