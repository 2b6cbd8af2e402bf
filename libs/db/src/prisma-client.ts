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

/**
 * A transaction in progress as the domain code of every service sees it: raw statements. A
 * Prisma transaction client fits (routes pass one), and so does `rawClient`'s, which consumers
 * use: one pg query per statement, without the Prisma client around it. Statements therefore read
 * no int8 as a number and cast counts (`::int`), where the two differ.
 */
export type Tx = RawQueryClient;

/** A PrismaClient (not a transaction client), which opens interactive transactions handing out `T`. */
export interface TransactionalClient<T extends RawSqlClient> {
  $transaction<R>(fn: (tx: T) => Promise<R>): PromiseLike<R>;
  $disconnect(): Promise<void>;
}

/**
 * Tells a PrismaClient from one of its transaction clients. Not by `$transaction`: Prisma 7's
 * transaction client has one too (nested transactions as savepoints, which the PGlite adapter
 * does not implement). `$disconnect` is on Prisma's deny-list for transaction clients.
 */
export function isTransactional<T extends RawSqlClient>(
  client: TransactionalClient<T> | T,
): client is TransactionalClient<T> {
  return typeof (client as Partial<TransactionalClient<T>>).$disconnect === 'function';
}
