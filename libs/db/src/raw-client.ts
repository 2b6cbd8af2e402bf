import type { RawQueryClient, TransactionalClient } from './prisma-client';
import type { SqlExecutor, SqlSession } from './sql-executor';

/**
 * Prisma's raw-query methods over this lib's plain SQL, for hot paths that only ever run raw
 * statements: code written against `RawQueryClient` runs unchanged on a Prisma client, a Prisma
 * transaction client, or this. Each call is one pg (or PGlite) query, without the Prisma
 * client's request pipeline and query interpreter around it; on Postgres it is a prepared
 * statement. Measured on a trivial query: 172 µs of CPU a call through pg, 408 µs through
 * Prisma's `$queryRawUnsafe` on the same pool, and 387 µs against 1,087 µs for a transaction of
 * three.
 *
 * Rows come back as the driver gives them, which for a few types differs from Prisma's raw
 * results: int8 and numeric are strings on pg (Prisma: BigInt and Decimal), so statements meant
 * for both cast counts and sums to int (`count(*)::int`) and read no int8 column as a number.
 */
export interface RawClient extends RawQueryClient, TransactionalClient<RawQueryClient> {
  /** Commits when `fn` resolves, rolls back (and rethrows) when it rejects; one connection throughout. */
  $transaction<R>(fn: (tx: RawQueryClient) => Promise<R>): Promise<R>;
}

function rawOf(sql: SqlExecutor): RawQueryClient {
  return {
    $queryRawUnsafe: <T = unknown>(text: string, ...values: unknown[]) => sql.query(text, values) as Promise<T>,
    $executeRawUnsafe: (text: string, ...values: unknown[]) => sql.execute(text, values),
  };
}

export function rawClient(session: SqlSession): RawClient {
  return {
    ...rawOf(session),
    $transaction: (fn) => session.transaction((tx) => fn(rawOf(tx))),
    // It owns nothing: the Database it runs on is closed by whoever opened it. Having it also
    // marks this as a client that opens transactions, not one of its transactions (see
    // `isTransactional`).
    $disconnect: async () => undefined,
  };
}
