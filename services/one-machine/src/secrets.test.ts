import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '@orderflow/testing';
import { localSecrets, serviceSecrets, type LocalSecrets } from './secrets';

/** The two PEMs are one RSA key pair: what one signs, the other verifies. */
function matchingPair(secrets: LocalSecrets): boolean {
  const data = Buffer.from('wix webhook');
  const signature = sign('sha256', data, createPrivateKey(secrets.WIX_PRIVATE_KEY));
  return createPublicKey(secrets.WIX_PUBLIC_KEY).asymmetricKeyType === 'rsa' && verify('sha256', data, createPublicKey(secrets.WIX_PUBLIC_KEY), signature);
}

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

  it('gives a file written before the Wix keys existed a matching Wix key pair, and keeps every secret it had', () => {
    const dir = tempDir();
    try {
      const old = {
        ADMIN_TOKEN: 'kept-admin-token-0123456789',
        STRIPE_WEBHOOK_SECRET: 'whsec_kept',
        TICKET_SIGNING_KEY: 'kept-ticket-key',
        LICENSE_ENCRYPTION_KEY: 'ab'.repeat(32),
        API_KEYS: 'local:kept-api-key-0123456789abcdef',
      };
      const file = path.join(dir.path, 'secrets.json');
      fs.writeFileSync(file, JSON.stringify(old));
      const upgraded = localSecrets(dir.path);
      expect(upgraded.created).toBe(false);
      expect(upgraded.secrets).toMatchObject(old);
      expect(upgraded.secrets.WIX_PUBLIC_KEY).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
      expect(upgraded.secrets.METRICS_TOKEN).toMatch(/^[\w-]{32}$/);
      expect(matchingPair(upgraded.secrets)).toBe(true);
      expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(upgraded.secrets);
      expect(localSecrets(dir.path).secrets).toEqual(upgraded.secrets);
    } finally {
      dir.remove();
    }
  });

  it('replaces a Wix key pair missing one half as a whole, so the halves always match', () => {
    const dir = tempDir();
    const otherDir = tempDir();
    try {
      const first = localSecrets(dir.path).secrets;
      const other = localSecrets(otherDir.path).secrets;
      const { WIX_PRIVATE_KEY: _dropped, ...withoutPrivate } = { ...first, WIX_PUBLIC_KEY: other.WIX_PUBLIC_KEY };
      fs.writeFileSync(path.join(dir.path, 'secrets.json'), JSON.stringify(withoutPrivate));
      const repaired = localSecrets(dir.path).secrets;
      expect(repaired.ADMIN_TOKEN).toBe(first.ADMIN_TOKEN);
      expect(repaired.WIX_PUBLIC_KEY).not.toBe(other.WIX_PUBLIC_KEY);
      expect(matchingPair(repaired)).toBe(true);
    } finally {
      dir.remove();
      otherDir.remove();
    }
  });

  it('hands the services the Wix public key but never the private key, which only the CLI reads', () => {
    const dir = tempDir();
    try {
      const { secrets } = localSecrets(dir.path);
      const forServices = serviceSecrets(secrets);
      expect(forServices).not.toHaveProperty('WIX_PRIVATE_KEY');
      expect(forServices).toMatchObject({ WIX_PUBLIC_KEY: secrets.WIX_PUBLIC_KEY, STRIPE_WEBHOOK_SECRET: secrets.STRIPE_WEBHOOK_SECRET, API_KEYS: secrets.API_KEYS, METRICS_TOKEN: secrets.METRICS_TOKEN });
    } finally {
      dir.remove();
    }
  });
});
