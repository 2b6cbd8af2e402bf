import { PGlite } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import type { Database } from './database';
import { preparePgliteDataDir } from './pglite-data-dir';
import type { SqlExecutor, SqlSession } from './sql-executor';

interface PGliteQueryable {
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[]; affectedRows?: number }>;
  exec(script: string): Promise<unknown>;
}

function executor(target: PGliteQueryable): SqlExecutor {
  return {
    async query<Row extends object>(text: string, params: readonly unknown[] = []) {
      const result = await target.query<Row>(text, [...params]);
      return result.rows;
    },
    async execute(text: string, params: readonly unknown[] = []) {
      const result = await target.query(text, [...params]);
      return result.affectedRows ?? 0;
    },
    async exec(script: string) {
      await target.exec(script);
    },
  };
}

/**
 * PGlite is one Postgres backend in this process: one connection. Its `transaction()` holds
 * an exclusive lock, so statements from the PrismaClient, the relay and migrations queue
 * behind an open transaction instead of interleaving with it (the Prisma adapter uses the
 * same mechanism for its interactive transactions).
 */
export async function openPglite(dataDir: string): Promise<Database> {
  await preparePgliteDataDir(dataDir);
  const pglite = await PGlite.create({ dataDir });
  const session: SqlSession = {
    ...executor(pglite),
    transaction: (fn) => pglite.transaction((tx) => fn(executor(tx))),
  };
  return {
    kind: 'pglite',
    // One PGlite copy for us, the adapter and the prisma CLI (pinned to the version they
    // resolve): with two, the adapter's instanceof checks miss our errors and unique
    // violations would reach callers unmapped.
    adapter: new PrismaPGlite(pglite),
    sql: session,
    withConnection: (fn) => fn(session),
    close: () => pglite.close(),
  };
}
