import * as path from 'node:path';
import { openDatabase, rawClient, type Database, type RawClient } from '@orderflow/db';
import { createMetricsRegistry } from '@orderflow/metrics';
import { createTestDatabase, waitFor, type TestDatabase } from '@orderflow/testing';
import { OrderBook } from '../src/data/order-book';
import type { NewOrder } from '../src/domain/order';
import { OrderMetrics } from '../src/metrics';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const cause = { kind: 'test', eventId: null, traceId: 'trace-test' };

/**
 * `OrderBook.lock` reads an order in the statement that locks it. A transaction that waited for
 * the lock must still see what the previous holder committed: the order's own columns always,
 * and for an order with ticket lines, the registrations the holder added.
 */
describe('locking an order another transaction holds (Postgres)', () => {
  let database: TestDatabase;
  let db: Database;
  let sql: RawClient;
  const book = new OrderBook(new OrderMetrics(createMetricsRegistry({ service: 'order' })));

  beforeAll(async () => {
    database = await createTestDatabase('order_lock');
    db = await openDatabase({ url: database.url, dataDir: '/nonexistent', name: 'order', migrationsDir: path.join(__dirname, '..', 'prisma', 'migrations'), logger: silent });
    sql = rawClient(db.sql);
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  const order = (id: string, kind: 'ticket' | 'external'): NewOrder => ({
    id,
    instanceId: 'shop-a',
    source: 'stripe',
    currency: 'eur',
    customerEmail: 'ada@example.com',
    customerName: 'Ada',
    lines: [{ productId: 'p', name: 'P', quantity: 1, unitAmountCents: 1_000, kind, capacityKey: kind === 'ticket' ? 'event-1' : null }],
  });

  /** Holds the order's lock in one transaction while `change` runs, until `release` is called. */
  async function holdWhile(id: string, change: (tx: Parameters<Parameters<RawClient['$transaction']>[0]>[0]) => Promise<void>) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const holder = sql.$transaction(async (tx) => {
      await book.lock(tx, id);
      await change(tx);
      locked();
      await released;
    });
    await isLocked;
    return { release, holder };
  }

  /** Resolves once Postgres shows one transaction of this database waiting for a lock. */
  async function untilOneWaitsForALock(): Promise<void> {
    await waitFor(async () => {
      const [row] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
      return row!.n === 1;
    });
  }

  /** Starts `book.lock` in a transaction of its own; resolves once Postgres shows it waiting for the lock. */
  async function lockWhenFree(id: string): Promise<{ waiter: ReturnType<OrderBook['lock']> }> {
    const waiter = sql.$transaction((tx) => book.lock(tx, id));
    await untilOneWaitsForALock();
    return { waiter };
  }

  it('sees the registrations the previous holder added to an order with ticket lines', async () => {
    const created = await sql.$transaction((tx) => book.create(tx, order('ord_lock_ticket', 'ticket'), cause));
    const { release, holder } = await holdWhile(created.id, async (tx) => {
      await tx.$executeRawUnsafe(
        `INSERT INTO registrations (id, order_id, line_id, capacity_key, quantity, status) VALUES ('reg_lock_1', $1, $2, 'event-1', 1, 'PENDING')`,
        created.id,
        created.lines[0]!.id,
      );
    });
    const { waiter } = await lockWhenFree(created.id);
    release();
    await holder;
    const seen = await waiter;
    expect(seen?.registrations.map((r) => r.id)).toEqual(['reg_lock_1']);
  });

  it("sees the previous holder's change to the order row itself, in one statement for an order without ticket lines", async () => {
    const created = await sql.$transaction((tx) => book.create(tx, order('ord_lock_external', 'external'), cause));
    const { release, holder } = await holdWhile(created.id, async (tx) => {
      const locked = (await book.lock(tx, created.id))!;
      await book.transition(tx, locked, 'PAID', cause);
    });
    const { waiter } = await lockWhenFree(created.id);
    release();
    await holder;
    const seen = await waiter;
    expect(seen).toMatchObject({ status: 'PAID', version: 1 });
    expect(seen?.lines).toHaveLength(1);
  });

  it('locks the order of the first reference that finds one, in the order given', async () => {
    await sql.$transaction(async (tx) => {
      await book.create(tx, { ...order('ord_first_by_intent', 'external'), providerCheckoutRef: 'pi_first' }, cause);
      await book.create(tx, order('ord_first_by_id', 'ticket'), cause);
    });
    const first = (...references: Array<readonly ['id' | 'providerCheckoutRef', string | null]>) =>
      sql.$transaction(async (tx) => (await book.lockFirst(tx, references))?.id ?? null);

    expect(await first(['providerCheckoutRef', 'pi_first'], ['id', 'ord_first_by_id'])).toBe('ord_first_by_intent');
    expect(await first(['id', 'ord_first_by_id'], ['providerCheckoutRef', 'pi_first'])).toBe('ord_first_by_id');
    expect(await first(['providerCheckoutRef', 'pi_none'], ['id', null], ['id', 'ord_first_by_id'])).toBe('ord_first_by_id');
    expect(await first(['providerCheckoutRef', 'pi_none'], ['id', 'ord_none'])).toBeNull();
    expect(await first(['providerCheckoutRef', null])).toBeNull();
  });

  it('holds the lock of the order it found by any reference', async () => {
    const created = await sql.$transaction((tx) => book.create(tx, { ...order('ord_first_locked', 'external'), providerCheckoutRef: 'pi_locked' }, cause));
    const { release, holder } = await holdWhile(created.id, async () => undefined);
    const waiter = sql.$transaction((tx) => book.lockFirst(tx, [['providerCheckoutRef', 'pi_nothing'], ['providerCheckoutRef', 'pi_locked']]));
    await untilOneWaitsForALock();
    release();
    await holder;
    expect((await waiter)?.id).toBe(created.id);
  });
});
