import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/**
 * The server integration tests create their databases on: DEVELOPERS.md's local Postgres
 * unless `ORDERFLOW_TEST_POSTGRES_URL` points elsewhere. It must allow CREATE DATABASE.
 */
export const ADMIN_URL = process.env.ORDERFLOW_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  /** Connection string of the new, empty database. */
  url: string;
  name: string;
  /** Drops the database, closing any connection a test left open. */
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A throwaway database per test file, so files never see each other's rows and a failed run
 * leaves nothing that breaks the next (names are random; `drop()` in `afterAll`).
 */
export async function createTestDatabase(prefix = 'orderflow_test'): Promise<TestDatabase> {
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(prefix)) throw new Error(`database prefix must match [a-z][a-z0-9_]{0,30}: ${prefix}`);
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  // Identifiers cannot be parameters; the name is built from [a-z0-9_] only.
  await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    // FORCE (Postgres 13+) ends sessions a failed test left behind instead of failing the drop.
    drop: () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
