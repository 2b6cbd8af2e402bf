import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { openDatabase, rawClient, type Database, type RawClient, type RawQueryClient } from '@orderflow/db';
import type { AnyEvent } from '@orderflow/events';
import type { EventContext } from '@orderflow/kafka';
import { createMetricsRegistry } from '@orderflow/metrics';
import { createTestDatabase, type TestDatabase } from '@orderflow/testing';
import { orderBatchHandler } from '../src/consumers/event-runs';
import { StripeHandler } from '../src/consumers/stripe-ingress.consumer';
import { WixHandler } from '../src/consumers/wix-ingress.consumer';
import { OrderBook } from '../src/data/order-book';
import { OrderMetrics } from '../src/metrics';
import { Checkouts } from '../src/use-cases/checkouts';
import { Payments } from '../src/use-cases/payments';
import { Places } from '../src/use-cases/places';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** `client` with every statement it sends counted. */
function counting(client: RawQueryClient, count: () => void): RawQueryClient {
  return {
    $queryRawUnsafe: <T>(query: string, ...values: unknown[]) => (count(), client.$queryRawUnsafe<T>(query, ...values)),
    $executeRawUnsafe: (query: string, ...values: unknown[]) => (count(), client.$executeRawUnsafe(query, ...values)),
  };
}

/**
 * Issue 20: a run of events costs statements per run, not per order. The order consumer's batch
 * handler, on Postgres, with every statement it sends counted.
 */
describe("a run's statements (Postgres)", () => {
  let database: TestDatabase;
  let db: Database;
  let sql: RawClient;
  let statements = 0;
  let handle: ReturnType<typeof orderBatchHandler>;

  beforeAll(async () => {
    database = await createTestDatabase('order_run_statements');
    db = await openDatabase({ url: database.url, dataDir: '/nonexistent', name: 'order', migrationsDir: path.join(__dirname, '..', 'prisma', 'migrations'), logger: silent });
    sql = rawClient(db.sql);
    const metrics = new OrderMetrics(createMetricsRegistry({ service: 'order' }));
    const book = new OrderBook(metrics);
    const payments = new Payments(book, new Places(book, metrics), new Checkouts(book, metrics), metrics, { autoApproveInstances: [] });
    const counted = {
      ...counting(sql, () => statements++),
      $transaction: <R>(work: (tx: RawQueryClient) => Promise<R>) => sql.$transaction((tx) => work(counting(tx, () => statements++))),
    } as unknown as RawClient;
    handle = orderBatchHandler({ sql: () => counted, book, stripe: new StripeHandler(book, payments), wix: new WixHandler(book, payments), relay: () => undefined });
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const run = (events: AnyEvent[]) => events.map((event, offset) => ({ event, context: { topic: 't', partition: 0, offset: String(offset), key: null, headers: {}, attempt: 1 } as unknown as EventContext }));

  const paid = (orderId: string): AnyEvent =>
    ({
      source: 'stripe',
      type: 'payment_intent.succeeded',
      eventId: `evt_${randomUUID()}`,
      orderKey: orderId,
      traceId: 'trace-test',
      payload: { id: `evt_${orderId}`, type: 'payment_intent.succeeded', data: { object: { id: `pi_${orderId}`, amount: 1_500, amount_received: 1_500, currency: 'eur', metadata: { orderId, customerEmail: 'ada@example.com' } } } },
    }) as unknown as AnyEvent;

  const fulfilled = (orderId: string): AnyEvent =>
    ({ source: 'fulfillment', type: 'fulfillment.completed', eventId: `fulfillment.completed:${orderId}`, orderKey: orderId, traceId: 'trace-test', payload: { orderId } }) as unknown as AnyEvent;

  async function statementsOf(events: AnyEvent[]): Promise<number> {
    const before = statements;
    await handle(run(events));
    return statements - before;
  }

  it('creates, pays and fulfils a run of 40 new orders in a few statements a run, whatever its size', async () => {
    const orders = Array.from({ length: 40 }, () => `ord_${randomUUID()}`);
    // Per slice (up to 4): BEGIN, claim, lock ahead, the new orders, the outbox, COMMIT.
    expect(await statementsOf(orders.map(paid))).toBeLessThanOrEqual(24);
    expect(await statementsOf(orders.map(fulfilled))).toBeLessThanOrEqual(24);

    const rows = await db.sql.query<{ id: string; status: string; version: number; transitions: string[]; payments: number }>(
      `SELECT o.id, o.status, o.version,
              (SELECT array_agg(t.to_status ORDER BY t.id) FROM order_transitions t WHERE t.order_id = o.id) AS transitions,
              (SELECT count(*)::int FROM payments p WHERE p.order_id = o.id) AS payments
       FROM orders o WHERE o.id = ANY($1::text[])`,
      [orders],
    );
    expect(rows).toHaveLength(40);
    for (const row of rows) expect(row).toEqual({ id: row.id, status: 'FULFILLED', version: 3, transitions: ['PENDING', 'PAID', 'APPROVED', 'FULFILLED'], payments: 1 });
    const [{ n }] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE key = ANY($1::text[])`, [orders]);
    // order.created, order.pending, order.paid, order.approved, order.ready_to_fulfill, order.fulfilled.
    expect(n).toBe(40 * 6);
  });

  it('applies the same run delivered again not at all', async () => {
    const orders = Array.from({ length: 5 }, () => `ord_${randomUUID()}`);
    const events = orders.map(paid);
    await handle(run(events));
    await handle(run(events));
    const [{ n }] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM order_transitions WHERE order_id = ANY($1::text[])`, [orders]);
    expect(n).toBe(5 * 3);
  });
});
