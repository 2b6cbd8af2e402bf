import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '@orderflow/testing';
import { checksumOf, readMigrations } from './migration-files';

describe('readMigrations', () => {
  it('returns the numbered SQL files in order with their checksums, ignoring anything else', () => {
    const dir = tempDir();
    try {
      fs.writeFileSync(path.join(dir.path, '0010_later.sql'), 'SELECT 10;');
      fs.writeFileSync(path.join(dir.path, '0002_second.sql'), 'SELECT 2;');
      fs.writeFileSync(path.join(dir.path, '0001_init.sql'), 'SELECT 1;');
      fs.writeFileSync(path.join(dir.path, 'README.md'), '# notes');
      fs.writeFileSync(path.join(dir.path, 'draft.sql'), 'SELECT 0;');

      const migrations = readMigrations(dir.path);

      expect(migrations.map((m) => m.name)).toEqual(['0001_init.sql', '0002_second.sql', '0010_later.sql']);
      expect(migrations[0]).toEqual({ name: '0001_init.sql', sql: 'SELECT 1;', checksum: checksumOf('SELECT 1;') });
    } finally {
      dir.remove();
    }
  });

  it('gives different SQL different checksums, down to whitespace', () => {
    expect(checksumOf('SELECT 1;')).not.toBe(checksumOf('SELECT 1; '));
  });
});
