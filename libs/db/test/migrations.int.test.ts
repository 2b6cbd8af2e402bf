import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '@orderflow/testing';
import { MigrationChecksumMismatchError, type Database, type DbLogger } from '../src';
import { backendKinds, createBackend, MIGRATIONS_DIR, type BackendFixture } from './support/backends';

interface MigrationRow {
  name: string;
  checksum: string;
  applied_at: Date;
}

const recorded = (db: Database) =>
  db.sql.query<MigrationRow>('SELECT name, checksum, applied_at FROM _orderflow_migrations ORDER BY name');

function capturingLogger(): DbLogger & { messages: { message: string; fields: Record<string, unknown> }[] } {
  const messages: { message: string; fields: Record<string, unknown> }[] = [];
  const log = (fields: Record<string, unknown>, message: string) => void messages.push({ fields, message });
  return { messages, info: log, warn: log, error: log };
}

describe.each(backendKinds)('migrations on %s', (kind) => {
  let backend: BackendFixture;
  let migrationsDir: ReturnType<typeof tempDir>;

  beforeEach(async () => {
    backend = await createBackend(kind);
    // A copy per test, so the tampering test cannot affect the others.
    migrationsDir = tempDir('orderflow-migrations-');
    fs.cpSync(MIGRATIONS_DIR, migrationsDir.path, { recursive: true });
  });

  afterEach(async () => {
    await backend.cleanup();
    migrationsDir.remove();
  });

  it("applies this lib's tables and then the service's files in order, once each", async () => {
    const logger = capturingLogger();
    const db = await backend.open({ migrationsDir: migrationsDir.path, logger });
    try {
      const rows = await recorded(db);
      expect(rows.map((r) => r.name)).toEqual([
        '0001_init.sql',
        '0002_widget_notes.sql',
        'orderflow-db/0001_processed_events_outbox.sql',
        'orderflow-db/0002_outbox_set_aside.sql',
      ]);
      const applied = logger.messages.filter((m) => m.message === 'applied migration').map((m) => m.fields.migration);
      expect(applied).toEqual([
        'orderflow-db/0001_processed_events_outbox.sql',
        'orderflow-db/0002_outbox_set_aside.sql',
        '0001_init.sql',
        '0002_widget_notes.sql',
      ]);
      await expect(db.sql.query('SELECT count(*)::int AS n FROM widget_notes')).resolves.toEqual([{ n: 0 }]);
    } finally {
      await db.close();
    }
  });

  it('re-opening an up-to-date database applies nothing', async () => {
    const first = await backend.open({ migrationsDir: migrationsDir.path });
    const before = await recorded(first);
    await first.close();

    const logger = capturingLogger();
    const second = await backend.open({ migrationsDir: migrationsDir.path, logger });
    try {
      expect(await recorded(second)).toEqual(before);
      expect(logger.messages.filter((m) => m.message === 'applied migration')).toEqual([]);
      expect(logger.messages.find((m) => m.message === 'database ready')?.fields).toMatchObject({ applied: 0, alreadyApplied: 4 });
    } finally {
      await second.close();
    }
  });

  it('refuses to start when an applied migration was edited, naming the file', async () => {
    const first = await backend.open({ migrationsDir: migrationsDir.path });
    await first.close();
    const file = path.join(migrationsDir.path, '0001_init.sql');
    fs.appendFileSync(file, '\nALTER TABLE widgets ADD COLUMN colour text;\n');
    fs.writeFileSync(path.join(migrationsDir.path, '0003_more.sql'), 'CREATE TABLE more_things (id int);');

    const reopened = backend.open({ migrationsDir: migrationsDir.path });
    await expect(reopened).rejects.toBeInstanceOf(MigrationChecksumMismatchError);
    await expect(reopened).rejects.toThrow(/migration 0001_init\.sql was changed after it was applied/);

    // Nothing new was applied on top of the tampered history.
    fs.writeFileSync(file, fs.readFileSync(path.join(MIGRATIONS_DIR, '0001_init.sql')));
    fs.rmSync(path.join(migrationsDir.path, '0003_more.sql'));
    const restored = await backend.open({ migrationsDir: migrationsDir.path });
    try {
      expect((await recorded(restored)).map((r) => r.name)).not.toContain('0003_more.sql');
    } finally {
      await restored.close();
    }
  });

  it('rolls a failing migration back completely and applies it on the next start once fixed', async () => {
    const broken = path.join(migrationsDir.path, '0003_broken.sql');
    fs.writeFileSync(broken, 'CREATE TABLE half_done (id int);\nSELECT no_such_function();\n');
    await expect(backend.open({ migrationsDir: migrationsDir.path })).rejects.toThrow(/no_such_function/);

    fs.writeFileSync(broken, 'CREATE TABLE half_done (id int);\n');
    const db = await backend.open({ migrationsDir: migrationsDir.path });
    try {
      expect((await recorded(db)).map((r) => r.name)).toContain('0003_broken.sql');
      await expect(db.sql.query('SELECT count(*)::int AS n FROM half_done')).resolves.toEqual([{ n: 0 }]);
    } finally {
      await db.close();
    }
  });

  if (kind === 'postgres') {
    it('serialises instances starting together: each migration is applied exactly once', async () => {
      // 0001_init.sql has no IF NOT EXISTS: a second application would fail that opener.
      const openers = await Promise.all(Array.from({ length: 4 }, () => backend.open({ migrationsDir: migrationsDir.path })));
      try {
        const rows = await recorded(openers[0]);
        expect(rows).toHaveLength(4);
        expect(new Set(rows.map((r) => r.name)).size).toBe(4);
      } finally {
        await Promise.all(openers.map((db) => db.close()));
      }
    });
  }
});
