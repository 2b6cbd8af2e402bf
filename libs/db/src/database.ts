import type { SqlDriverAdapterFactory } from '@prisma/client/runtime/client';
import type { SqlSession } from './sql-executor';

export type DatabaseKind = 'postgres' | 'pglite';

/**
 * One service's database, whichever backend it runs on. The service builds its own generated
 * PrismaClient from `adapter` (`new PrismaClient({ adapter: db.adapter })`), so this lib never
 * depends on any service's schema.
 */
export interface Database {
  readonly kind: DatabaseKind;
  /** Pass to the service's generated PrismaClient. */
  readonly adapter: SqlDriverAdapterFactory;
  /** Raw SQL on the pool (Postgres) or the single connection (PGlite). */
  readonly sql: SqlSession;
  /**
   * Runs `fn` on one dedicated connection, for session state such as advisory locks.
   * On PGlite there is only one connection: `fn` gets the same executor as `sql`.
   */
  withConnection<T>(fn: (connection: SqlSession) => Promise<T>): Promise<T>;
  /** Ends the pool or closes PGlite. Disconnect PrismaClients built on `adapter` first. */
  close(): Promise<void>;
}
