import { createTestDatabase, type TestDatabase } from '@orderflow/testing';
import { openDatabase, type Database } from '../src';
import { MIGRATIONS_DIR, prismaFor, silentLogger } from './support/backends';
import type { PrismaClient } from './generated/client/client';

/**
 * On Postgres every parameterised statement, ours and Prisma's, is prepared once per connection
 * and then only bound and executed. One pooled connection here, so the server's
 * pg_prepared_statements view of it is the whole story.
 */
describe('prepared statements on Postgres', () => {
  let database: TestDatabase;
  let db: Database;
  let prisma: PrismaClient;

  beforeAll(async () => {
    database = await createTestDatabase('orderflow_test_db');
    db = await openDatabase({ url: database.url, dataDir: '/nonexistent', name: 'widgets', migrationsDir: MIGRATIONS_DIR, logger: silentLogger, poolSize: 1 });
    prisma = prismaFor(db);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.close();
    await database?.drop();
  });

  const prepared = (fragment: string) =>
    db.sql.query<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements WHERE statement LIKE $1 AND name <> $2', [`%${fragment}%`, '']);

  it('prepares a statement of ours once, however often it runs, inside transactions or not', async () => {
    const text = 'SELECT $1::int + 1 AS next /* ours */';
    for (let i = 0; i < 3; i++) await expect(db.sql.query(text, [i])).resolves.toEqual([{ next: i + 1 }]);
    await db.sql.transaction((tx) => tx.query(text, [7]));
    const rows = await prepared('/* ours */');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.name).toMatch(/^of_/);
  });

  it("prepares Prisma's statements once too: raw queries and the client's own", async () => {
    for (let i = 0; i < 3; i++) {
      await prisma.$queryRawUnsafe('SELECT $1::int AS n /* prisma raw */', i);
      await prisma.widget.findUnique({ where: { name: `w${i}` } });
    }
    await prisma.widget.create({ data: { name: 'sprocket', quantity: 2 } });
    await expect(prisma.widget.findUnique({ where: { name: 'sprocket' } })).resolves.toMatchObject({ quantity: 2 });
    expect(await prepared('/* prisma raw */')).toHaveLength(1);
    const finds = await prepared('FROM "public"."widgets" WHERE ("public"."widgets"."name" = $1');
    expect(finds).toHaveLength(1);
  });

  it('keeps a prepared statement usable after a transaction that used it rolled back', async () => {
    const text = 'SELECT count(*)::int AS n FROM widgets WHERE name = $1 /* after rollback */';
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query('INSERT INTO widgets (name) VALUES ($1)', ['cog']);
        await expect(tx.query(text, ['cog'])).resolves.toEqual([{ n: 1 }]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await expect(db.sql.query(text, ['cog'])).resolves.toEqual([{ n: 0 }]);
    expect(await prepared('/* after rollback */')).toHaveLength(1);
  });

  it('leaves statements without parameters unprepared: BEGIN, COMMIT and scripts go as they are', async () => {
    await db.sql.exec('SELECT 1 /* script one */; SELECT 2 /* script two */');
    await db.sql.query('SELECT 3 AS three /* no parameters */');
    expect(await prepared('/* script')).toHaveLength(0);
    expect(await prepared('/* no parameters */')).toHaveLength(0);
  });
});
