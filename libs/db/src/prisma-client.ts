/**
 * The slice of a generated PrismaClient (or of its interactive-transaction client) this lib
 * uses. Structural, so any service's client fits without this lib depending on its schema.
 */
export interface RawSqlClient {
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/** A client that also reads rows back (`INSERT … RETURNING`, `SELECT`). */
export interface RawQueryClient extends RawSqlClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): PromiseLike<T>;
}

/** A PrismaClient (not a transaction client), which opens interactive transactions handing out `Tx`. */
export interface TransactionalClient<Tx extends RawSqlClient> {
  $transaction<R>(fn: (tx: Tx) => Promise<R>): PromiseLike<R>;
  $disconnect(): Promise<void>;
}

/**
 * Tells a PrismaClient from one of its transaction clients. Not by `$transaction`: Prisma 7's
 * transaction client has one too (nested transactions as savepoints, which the PGlite adapter
 * does not implement). `$disconnect` is on Prisma's deny-list for transaction clients.
 */
export function isTransactional<Tx extends RawSqlClient>(
  client: TransactionalClient<Tx> | Tx,
): client is TransactionalClient<Tx> {
  return typeof (client as Partial<TransactionalClient<Tx>>).$disconnect === 'function';
}
