import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '@orderflow/testing';
import { openDatabase, type Database } from '../src';
import { stagingDirOf } from '../src/pglite-data-dir';
import { MIGRATIONS_DIR, silentLogger } from './support/backends';

describe('PGlite data directories', () => {
  const dir = tempDir('orderflow-pglite-dirs-');
  const opened: Database[] = [];
  afterAll(async () => {
    for (const db of opened) await db.close();
    dir.remove();
  });

  async function open(name: string): Promise<Database> {
    const db = await openDatabase({ dataDir: dir.path, name, migrationsDir: MIGRATIONS_DIR, logger: silentLogger });
    opened.push(db);
    return db;
  }

  const systemIdentifier = async (db: Database) =>
    (await db.sql.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()'))[0]!.id;

  it('makes each new database a copy of one cluster initialised per process, sharing nothing after', async () => {
    const first = await open('first');
    const second = await open('second');
    // initdb draws a new identifier each run: equal ones mean the second was copied, not initialised.
    expect(await systemIdentifier(second)).toBe(await systemIdentifier(first));

    await first.sql.exec("INSERT INTO widgets (name) VALUES ('only in first')");
    await expect(second.sql.query('SELECT name FROM widgets')).resolves.toEqual([]);
    await expect(first.sql.query('SELECT name FROM widgets')).resolves.toEqual([{ name: 'only in first' }]);
    expect(fs.existsSync(stagingDirOf(path.join(dir.path, 'first')))).toBe(false);
  });

  it('discards a copy a crash interrupted and makes the database afresh', async () => {
    // What a kill mid-copy can leave: the marker PGlite looks for, without the rest.
    const staging = stagingDirOf(path.join(dir.path, 'interrupted'));
    fs.mkdirSync(staging);
    fs.writeFileSync(path.join(staging, 'PG_VERSION'), '17\n');

    const db = await open('interrupted');
    await expect(db.sql.query('SELECT count(*)::int AS n FROM widgets')).resolves.toEqual([{ n: 0 }]);
    expect(fs.existsSync(staging)).toBe(false);
  });

  it('makes the database in an empty directory', async () => {
    fs.mkdirSync(path.join(dir.path, 'empty'));
    const db = await open('empty');
    await expect(db.sql.query('SELECT count(*)::int AS n FROM widgets')).resolves.toEqual([{ n: 0 }]);
  });

  it('refuses a directory holding other files and leaves them as they were', async () => {
    const foreign = path.join(dir.path, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');

    await expect(open('foreign')).rejects.toThrow(`${foreign} holds files but no PostgreSQL database`);
    expect(fs.readdirSync(foreign)).toEqual(['notes.txt']);
    expect(fs.existsSync(stagingDirOf(foreign))).toBe(false);
  });
});
