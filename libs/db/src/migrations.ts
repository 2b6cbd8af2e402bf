import type { DbLogger } from './logger';
import type { Migration } from './migration-files';
import type { Database } from './database';
import type { SqlExecutor } from './sql-executor';

/** An applied migration's file no longer matches what was applied. Start-up must stop. */
export class MigrationChecksumMismatchError extends Error {
  override readonly name = 'MigrationChecksumMismatchError';
  constructor(
    readonly migration: string,
    readonly appliedChecksum: string,
    readonly fileChecksum: string,
  ) {
    super(
      `migration ${migration} was changed after it was applied ` +
        `(applied checksum ${appliedChecksum.slice(0, 12)}, file now ${fileChecksum.slice(0, 12)}); ` +
        'an applied migration must never be edited: restore it and add a new migration instead',
    );
  }
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

// One lock per database: services sharing a Postgres server but not a database don't wait on each other.
const LOCK_KEY = `hashtext('orderflow_migrations:' || current_database())`;

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS _orderflow_migrations (
  name       text        PRIMARY KEY,
  checksum   text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/**
 * Applies `migrations` in order, each in its own transaction with its bookkeeping row, so a
 * failing migration leaves nothing half-applied and the next start retries it.
 *
 * On Postgres every instance of a service runs this at start-up: a session-level advisory
 * lock keyed on the database name serialises them, so the second instance waits, then finds
 * everything applied. (A transaction-level lock would not do: each migration commits
 * separately.) PGlite has a single connection inside a single process, so nothing can race.
 */
export async function applyMigrations(
  db: Database,
  migrations: readonly Migration[],
  logger: DbLogger,
): Promise<MigrationResult> {
  return db.withConnection(async (connection) => {
    const locked = db.kind === 'postgres';
    if (locked) await connection.query(`SELECT pg_advisory_lock(${LOCK_KEY})`);
    let failed = false;
    try {
      await connection.exec(CREATE_TABLE);
      const applied = await appliedChecksums(connection);
      verifyUnchanged(migrations, applied, logger);
      const result: MigrationResult = { applied: [], alreadyApplied: 0 };
      for (const m of migrations) {
        if (applied.has(m.name)) {
          result.alreadyApplied += 1;
          continue;
        }
        await connection.transaction(async (tx) => {
          await tx.exec(m.sql);
          await tx.query('INSERT INTO _orderflow_migrations (name, checksum) VALUES ($1, $2)', [m.name, m.checksum]);
        });
        logger.info({ migration: m.name }, 'applied migration');
        result.applied.push(m.name);
      }
      return result;
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // If unlocking fails the error carries no SQLSTATE, so the pool destroys the connection
      // and Postgres drops the lock with the session; the original error, if any, wins.
      if (locked) {
        await connection.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`).catch((err: unknown) => {
          if (!failed) throw new Error(`could not release the migration lock: ${String(err)}`);
        });
      }
    }
  });
}

async function appliedChecksums(sql: SqlExecutor): Promise<Map<string, string>> {
  const rows = await sql.query<{ name: string; checksum: string }>('SELECT name, checksum FROM _orderflow_migrations');
  return new Map(rows.map((row) => [row.name, row.checksum]));
}

// Checked before applying anything, so a tampered history never gets new migrations on top.
function verifyUnchanged(migrations: readonly Migration[], applied: Map<string, string>, logger: DbLogger): void {
  const known = new Set(migrations.map((m) => m.name));
  for (const m of migrations) {
    const checksum = applied.get(m.name);
    if (checksum !== undefined && checksum !== m.checksum) {
      throw new MigrationChecksumMismatchError(m.name, checksum, m.checksum);
    }
  }
  for (const name of applied.keys()) {
    // A newer release applied it and this one is older (a rollback): the schema may be ahead
    // of this code, worth a warning but not a refusal to start.
    if (!known.has(name)) logger.warn({ migration: name }, 'database has a migration this release does not know');
  }
}
