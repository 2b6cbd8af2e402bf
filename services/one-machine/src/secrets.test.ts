import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '@orderflow/testing';
import { localSecrets } from './secrets';

describe('localSecrets', () => {
  it('creates the secrets once, owner-readable only, and returns the same ones on every later start', () => {
    const dir = tempDir();
    try {
      const first = localSecrets(dir.path);
      expect(first.created).toBe(true);
      expect(fs.statSync(first.file).mode & 0o777).toBe(0o600);
      expect(first.secrets.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_/);
      expect(Buffer.from(first.secrets.LICENSE_ENCRYPTION_KEY, 'hex')).toHaveLength(32);
      const again = localSecrets(dir.path);
      expect(again).toEqual({ ...first, created: false });
    } finally {
      dir.remove();
    }
  });

  it('completes a file that lacks a secret, and keeps what it had', () => {
    const dir = tempDir();
    try {
      fs.writeFileSync(path.join(dir.path, 'secrets.json'), JSON.stringify({ ADMIN_TOKEN: 'kept-admin-token-0123456789' }));
      const completed = localSecrets(dir.path);
      expect(completed.secrets.ADMIN_TOKEN).toBe('kept-admin-token-0123456789');
      expect(localSecrets(dir.path).secrets.TICKET_SIGNING_KEY).toBe(completed.secrets.TICKET_SIGNING_KEY);
    } finally {
      dir.remove();
    }
  });
});
