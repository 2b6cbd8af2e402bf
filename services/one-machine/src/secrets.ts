import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the one-machine mode generates on first start when the environment does not say. */
export interface LocalSecrets {
  ADMIN_TOKEN: string;
  STRIPE_WEBHOOK_SECRET: string;
  TICKET_SIGNING_KEY: string;
  LICENSE_ENCRYPTION_KEY: string;
  /** One instance with one key, so the external APIs work out of the box. */
  API_KEYS: string;
}

function generate(): LocalSecrets {
  return {
    ADMIN_TOKEN: randomBytes(24).toString('base64url'),
    STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64url')}`,
    TICKET_SIGNING_KEY: randomBytes(32).toString('base64url'),
    LICENSE_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    API_KEYS: `local:${randomBytes(24).toString('base64url')}`,
  };
}

/**
 * The secrets of this data directory: read from `<dataDir>/secrets.json`, created (readable by
 * the owner only) on first start. They must outlive restarts: license keys are encrypted and
 * ticket QR codes signed with them.
 */
export function localSecrets(dataDir: string): { secrets: LocalSecrets; file: string; created: boolean } {
  const file = path.join(dataDir, 'secrets.json');
  const stored = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>) : null;
  const secrets = { ...generate(), ...stored };
  // Written whenever something was missing, so a key generated now is the same next time.
  if (!stored || Object.keys(secrets).some((key) => !(key in stored))) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return { secrets, file, created: !stored };
}
