import { generateKeyPairSync, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** What the one-machine mode generates on first start when the environment does not say. */
export interface LocalSecrets {
  ADMIN_TOKEN: string;
  /** The bearer every service's `/metrics` asks for; the console scrapes with it too. */
  METRICS_TOKEN: string;
  STRIPE_WEBHOOK_SECRET: string;
  TICKET_SIGNING_KEY: string;
  LICENSE_ENCRYPTION_KEY: string;
  /** One instance with one key, so the external APIs work out of the box. */
  API_KEYS: string;
  /** Signs the customers' order-history links in mails; the console verifies them. */
  CUSTOMER_LINK_SECRET: string;
  /** A stand-in for the Wix app's key (PEM), so the ingress mounts and verifies the Wix route. */
  WIX_PUBLIC_KEY: string;
  /**
   * Its private half (PEM), with which `orderflow trigger wix` signs webhooks as Wix would. No
   * service is given it: see `serviceSecrets`.
   */
  WIX_PRIVATE_KEY: string;
}

function wixKeyPair(): Pick<LocalSecrets, 'WIX_PUBLIC_KEY' | 'WIX_PRIVATE_KEY'> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { WIX_PUBLIC_KEY: publicKey, WIX_PRIVATE_KEY: privateKey };
}

/**
 * How each secret is made. Keys made together are generated together: a key pair missing
 * either half is replaced whole, so the two always match.
 */
const GENERATORS: ReadonlyArray<{ keys: ReadonlyArray<keyof LocalSecrets>; generate: () => Partial<LocalSecrets> }> = [
  { keys: ['ADMIN_TOKEN'], generate: () => ({ ADMIN_TOKEN: randomBytes(24).toString('base64url') }) },
  { keys: ['METRICS_TOKEN'], generate: () => ({ METRICS_TOKEN: randomBytes(24).toString('base64url') }) },
  { keys: ['STRIPE_WEBHOOK_SECRET'], generate: () => ({ STRIPE_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64url')}` }) },
  { keys: ['TICKET_SIGNING_KEY'], generate: () => ({ TICKET_SIGNING_KEY: randomBytes(32).toString('base64url') }) },
  { keys: ['LICENSE_ENCRYPTION_KEY'], generate: () => ({ LICENSE_ENCRYPTION_KEY: randomBytes(32).toString('hex') }) },
  { keys: ['API_KEYS'], generate: () => ({ API_KEYS: `local:${randomBytes(24).toString('base64url')}` }) },
  { keys: ['CUSTOMER_LINK_SECRET'], generate: () => ({ CUSTOMER_LINK_SECRET: randomBytes(32).toString('base64url') }) },
  { keys: ['WIX_PUBLIC_KEY', 'WIX_PRIVATE_KEY'], generate: wixKeyPair },
];

/**
 * The secrets of this data directory: read from `<dataDir>/secrets.json`, created (readable by
 * the owner only) on first start. They must outlive restarts: license keys are encrypted and
 * ticket QR codes signed with them. A file from an older version lacks the newer entries; they
 * are generated and written back, and what it had is kept.
 */
export function localSecrets(dataDir: string): { secrets: LocalSecrets; file: string; created: boolean } {
  const file = path.join(dataDir, 'secrets.json');
  const stored = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LocalSecrets>) : null;
  const secrets: Partial<LocalSecrets> = { ...stored };
  let generated = false;
  for (const { keys, generate } of GENERATORS) {
    if (keys.every((key) => typeof secrets[key] === 'string' && secrets[key])) continue;
    Object.assign(secrets, generate());
    generated = true;
  }
  // Written whenever something was missing, so a key generated now is the same next time.
  if (generated) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  }
  return { secrets: secrets as LocalSecrets, file, created: !stored };
}

/** The secrets the services are configured with: all but those only local tools read. */
export function serviceSecrets(secrets: LocalSecrets): Omit<LocalSecrets, 'WIX_PRIVATE_KEY'> {
  const { WIX_PRIVATE_KEY: _localOnly, ...forServices } = secrets;
  return forServices;
}
