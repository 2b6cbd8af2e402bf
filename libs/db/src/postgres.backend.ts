import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, type PoolClient } from 'pg';
import type { Database } from './database';
import type { SqlExecutor, SqlSession } from './sql-executor';
import { StatementNames } from './statement-names';

function executor(target: Pool | PoolClient, names: StatementNames): SqlExecutor {
  // A parameterised statement goes under its name: prepared on first use per connection.
  const run = <Row extends object>(text: string, params: readonly unknown[]) =>
    target.query<Row>({ name: names.nameOf(text, params.length > 0), text, values: params as unknown[] });
  return {
    async query<Row extends object>(text: string, params: readonly unknown[] = []) {
      return (await run<Row>(text, params)).rows;
    },
    async execute(text: string, params: readonly unknown[] = []) {
      return (await run(text, params)).rowCount ?? 0;
    },
    async exec(script: string) {
      // No parameters: pg uses the simple query protocol, which accepts several statements.
      await target.query(script);
    },
  };
}

function clientSession(client: PoolClient, names: StatementNames): SqlSession {
  const base = executor(client, names);
  return {
    ...base,
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
      await client.query('BEGIN');
      try {
        const result = await fn(base);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
  };
}

async function withClient<T>(pool: Pool, names: StatementNames, fn: (session: SqlSession) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await fn(clientSession(client, names));
  } catch (err) {
    // A connection whose query failed mid-protocol must not go back to the pool.
    broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.release(broken !== undefined && isConnectionError(broken) ? broken : undefined);
  }
}

function isConnectionError(err: Error): boolean {
  const code = (err as Error & { code?: unknown }).code;
  return typeof code !== 'string' || code.startsWith('08') || code.startsWith('57');
}

export interface PostgresOptions {
  url: string;
  /** Pool size; the PrismaClient and the outbox relay share it. Default 10 (pg's default). */
  poolSize?: number;
}

export function openPostgres(options: PostgresOptions): Database {
  const pool = new Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // An idle client that errors (server restart) would otherwise crash the process.
  pool.on('error', () => undefined);
  // Shared by our statements and Prisma's: both are prepared once per connection.
  const names = new StatementNames();
  return {
    kind: 'postgres',
    adapter: new PrismaPg(pool, { statementNameGenerator: (query) => names.nameOf(query.sql, query.args.length > 0) ?? '' }),
    sql: {
      ...executor(pool, names),
      transaction: (fn) => withClient(pool, names, (session) => session.transaction(fn)),
    },
    withConnection: (fn) => withClient(pool, names, fn),
    close: () => pool.end(),
  };
}
