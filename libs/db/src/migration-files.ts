import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface Migration {
  /** Unique across everything applied to one database; recorded in `_orderflow_migrations`. */
  name: string;
  sql: string;
  /** sha256 of the SQL: an applied migration whose file changed fails start-up. */
  checksum: string;
}

// `0001_init.sql`: the numeric prefix orders them; sorting is lexical, so numbers are zero-padded.
const MIGRATION_FILE = /^\d+_[A-Za-z0-9_-]+\.sql$/;

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql).digest('hex');
}

export function migration(name: string, sql: string): Migration {
  return { name, sql, checksum: checksumOf(sql) };
}

/** The service's migrations in apply order. Other files (READMEs, Prisma's schema) are ignored. */
export function readMigrations(dir: string): Migration[] {
  const names = fs
    .readdirSync(dir)
    .filter((file) => MIGRATION_FILE.test(file))
    .sort();
  return names.map((file) => migration(file, fs.readFileSync(path.join(dir, file), 'utf8')));
}
