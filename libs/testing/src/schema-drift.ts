import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { createTestDatabase } from './database';

const run = promisify(execFile);

/**
 * What Prisma makes of `schema.prisma`, as SQL from an empty database: `prisma migrate diff
 * --from-empty --to-schema-datamodel --script` of Prisma 6.19 (this package's own `prisma`
 * dependency, the workspace's being 7), whose schema engine ships as WebAssembly: Prisma 7's
 * `migrate` needs a native engine that is not downloaded here. Offline: nothing is fetched, the
 * engine runs on a driver adapter to `databaseUrl` (Prisma 6 wants one configured; an empty
 * diff reads nothing from it).
 */
export async function schemaSql(schemaPath: string, databaseUrl: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'schema-drift-'));
  try {
    // Prisma 6 requires a datasource URL, which our schemas leave out (the service passes its own).
    const schema = (await readFile(schemaPath, 'utf8')).replace(/provider\s*=\s*"postgresql"/, `provider = "postgresql"\n  url = ${JSON.stringify(databaseUrl)}`);
    await writeFile(join(dir, 'schema.prisma'), schema);
    await writeFile(
      join(dir, 'prisma.config.ts'),
      `export default {
  engine: 'js',
  experimental: { adapter: true },
  adapter: async () => {
    const { PrismaPg } = require(${JSON.stringify(require.resolve('@prisma/adapter-pg'))});
    return new PrismaPg({ connectionString: ${JSON.stringify(databaseUrl)} });
  },
};
`,
    );
    const cli = require.resolve('prisma/build/index.js');
    const { stdout } = await run(
      process.execPath,
      [cli, 'migrate', 'diff', '--config', join(dir, 'prisma.config.ts'), '--from-empty', '--to-schema-datamodel', join(dir, 'schema.prisma'), '--script'],
      {
        cwd: dir,
        // The CLI checks for native engines it will not run: pointed at a file that exists, it downloads none.
        env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_QUERY_ENGINE_LIBRARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return stdout;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Every table, column, constraint and index of the `public` schema, one line each, sorted: what
 * two databases must both say to have the same schema. Read as Postgres stores them, with what
 * schema.prisma cannot say left to the migrations alone:
 * - CHECK constraints and partial indexes (`WHERE`): Prisma has no syntax for them.
 * - A UNIQUE constraint is read as its index: Prisma declares `@@unique` as a unique index.
 * - Scalar lists (`text[]`): Prisma creates them without NOT NULL, and writes `'{}'` as `ARRAY[]`.
 * - `timestamp(6)` is `timestamp`, 6 being the default; `CURRENT_TIMESTAMP` is `now()`.
 */
const DESCRIBE = `
SELECT line FROM (
  SELECT format('column %s.%s %s%s%s', c.relname, a.attname, replace(format_type(a.atttypid, a.atttypmod), 'timestamp(6)', 'timestamp'),
                CASE WHEN a.attnotnull AND t.typcategory <> 'A' THEN ' not null' ELSE '' END,
                coalesce(' default ' || replace(replace(pg_get_expr(d.adbin, d.adrelid), 'CURRENT_TIMESTAMP', 'now()'), '''{}''::', 'ARRAY[]::'), '')) AS line
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> ALL ($1::text[])
  UNION ALL
  SELECT format('constraint %s.%s %s', c.relname, k.conname, pg_get_constraintdef(k.oid))
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname = 'public' AND k.contype IN ('p', 'f') AND c.relname <> ALL ($1::text[])
  UNION ALL
  SELECT format('index %s', indexdef) FROM pg_indexes
  WHERE schemaname = 'public' AND tablename <> ALL ($1::text[]) AND indexdef NOT LIKE '% WHERE %'
) AS all_lines ORDER BY line`;

/** The schema of the database at `url`, as DESCRIBE's lines, leaving out the tables named in `except`. */
export async function describeSchema(url: string, except: readonly string[] = []): Promise<string[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ line: string }>(DESCRIBE, [except]);
    return rows.map((row) => row.line);
  } finally {
    await client.end();
  }
}

export interface SchemaDrift {
  /** In the migrated database, not in what schema.prisma describes. */
  onlyInMigrations: string[];
  /** In what schema.prisma describes, not in the migrated database. */
  onlyInSchema: string[];
}

/**
 * Compares a service's `prisma/schema.prisma` with its SQL migrations: the migrations applied by
 * `migrate` to one fresh database, Prisma's SQL for the schema to another, both described
 * line by line. `except`: tables the migrations' applier adds of its own (its bookkeeping, a
 * library's tables) that no service schema declares.
 */
export async function schemaDrift(options: {
  serviceDir: string;
  migrate: (databaseUrl: string) => Promise<void>;
  except: readonly string[];
}): Promise<SchemaDrift> {
  const name = options.serviceDir.split('/').filter(Boolean).at(-1)!.replace(/[^a-z0-9]/g, '_');
  const migrated = await createTestDatabase(`drift_${name}_m`);
  const declared = await createTestDatabase(`drift_${name}_s`);
  try {
    await options.migrate(migrated.url);
    const sql = await schemaSql(join(options.serviceDir, 'prisma', 'schema.prisma'), declared.url);
    const client = new Client({ connectionString: declared.url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
    const fromMigrations = await describeSchema(migrated.url, options.except);
    const fromSchema = await describeSchema(declared.url, options.except);
    return {
      onlyInMigrations: fromMigrations.filter((line) => !fromSchema.includes(line)),
      onlyInSchema: fromSchema.filter((line) => !fromMigrations.includes(line)),
    };
  } finally {
    await migrated.drop();
    await declared.drop();
  }
}

/** The service folders that have a Prisma schema, under `servicesDir`. */
export async function servicesWithSchemas(servicesDir: string): Promise<string[]> {
  const names = await readdir(servicesDir);
  const found: string[] = [];
  for (const name of names.sort()) {
    const schema = join(servicesDir, name, 'prisma', 'schema.prisma');
    if (await readFile(schema).then(() => true, () => false)) found.push(join(servicesDir, name));
  }
  return found;
}
