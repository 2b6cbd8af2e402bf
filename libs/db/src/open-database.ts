import * as path from 'node:path';
import type { Database } from './database';
import { libraryMigrations } from './library-migrations';
import type { DbLogger } from './logger';
import { readMigrations } from './migration-files';
import { applyMigrations } from './migrations';
import { openPglite } from './pglite.backend';
import { openPostgres } from './postgres.backend';

export interface OpenDatabaseOptions {
  /** Postgres connection string. Without one the service runs on PGlite under `dataDir`. */
  url?: string;
  /** The service's data directory; PGlite keeps its files in `<dataDir>/<name>`. */
  dataDir: string;
  /** The service's name, e.g. `ingress`. */
  name: string;
  /** Directory of the service's `NNNN_description.sql` migrations. */
  migrationsDir: string;
  logger: DbLogger;
  /** Postgres pool size. Default 10. */
  poolSize?: number;
}

/**
 * Opens the service's database and brings its schema up to date (this lib's tables, then the
 * service's migrations) before returning, so nothing touches a half-migrated database.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const db = options.url
    ? openPostgres({ url: options.url, poolSize: options.poolSize })
    : await openPglite(path.join(options.dataDir, options.name));
  try {
    const migrations = [...libraryMigrations, ...readMigrations(options.migrationsDir)];
    const result = await applyMigrations(db, migrations, options.logger);
    options.logger.info(
      { database: options.name, backend: db.kind, applied: result.applied.length, alreadyApplied: result.alreadyApplied },
      'database ready',
    );
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
