import * as path from 'node:path';
import { createTestDatabase, tempDir } from '@orderflow/testing';
import { openDatabase, type Database, type DbLogger } from '../../src';
import { PrismaClient } from '../generated/client/client';

export const MIGRATIONS_DIR = path.join(__dirname, '..', 'prisma', 'migrations');

export const silentLogger: DbLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Where a test file's databases live: one throwaway Postgres database, or one temp dir for
 * PGlite. `open()` opens (and migrates) a database there, as a service's start-up would.
 */
export interface BackendFixture {
  readonly kind: Database['kind'];
  open(options?: { migrationsDir?: string; logger?: DbLogger }): Promise<Database>;
  cleanup(): Promise<void>;
}

export type BackendKind = Database['kind'];

export const backendKinds: BackendKind[] = ['postgres', 'pglite'];

export async function createBackend(kind: BackendKind): Promise<BackendFixture> {
  if (kind === 'postgres') {
    const database = await createTestDatabase('orderflow_test_db');
    return {
      kind,
      open: (options = {}) =>
        openDatabase({
          url: database.url,
          dataDir: '/nonexistent',
          name: 'widgets',
          migrationsDir: options.migrationsDir ?? MIGRATIONS_DIR,
          logger: options.logger ?? silentLogger,
        }),
      cleanup: () => database.drop(),
    };
  }
  const dir = tempDir('orderflow-db-');
  return {
    kind,
    open: (options = {}) =>
      openDatabase({
        dataDir: dir.path,
        name: 'widgets',
        migrationsDir: options.migrationsDir ?? MIGRATIONS_DIR,
        logger: options.logger ?? silentLogger,
      }),
    cleanup: async () => dir.remove(),
  };
}

/** What a service's composition root does with the adapter. */
export function prismaFor(db: Database): PrismaClient {
  return new PrismaClient({ adapter: db.adapter });
}

export interface OpenedBackend {
  readonly backend: BackendFixture;
  readonly db: Database;
  readonly prisma: PrismaClient;
}

/**
 * Registers, for the enclosing describe, one backend of `kind` opened and migrated with a
 * PrismaClient on it, closed and removed after the describe's tests.
 */
export function useOpenedBackend(kind: BackendKind): OpenedBackend {
  const opened = {} as { backend: BackendFixture; db: Database; prisma: PrismaClient };
  beforeAll(async () => {
    opened.backend = await createBackend(kind);
    opened.db = await opened.backend.open();
    opened.prisma = prismaFor(opened.db);
  });
  afterAll(async () => {
    await opened.prisma?.$disconnect();
    await opened.db?.close();
    await opened.backend?.cleanup();
  });
  return opened;
}
