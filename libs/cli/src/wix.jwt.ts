import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { WixWebhook } from './wix.payloads';

/** The key could not sign a Wix webhook; the message says why, never the key. */
export class WixKeyError extends Error {
  override readonly name = 'WixKeyError';
}

/** A PEM private key, as a file holds it or as an env file does (on one line, `\n` escaped). */
export function wixSigningKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem.replace(/\\n/g, '\n').trim());
  } catch {
    throw new WixKeyError('the Wix key is not a PEM private key (-----BEGIN PRIVATE KEY----- ...)');
  }
  if (key.asymmetricKeyType !== 'rsa') throw new WixKeyError(`the Wix key is an ${key.asymmetricKeyType ?? 'unknown'} key, not RSA: Wix signs with RS256`);
  return key;
}

const base64url = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/**
 * The webhook as Wix posts it: a JWT signed RS256 (RSASSA-PKCS1-v1_5 with SHA-256) whose `data`
 * claim is the JSON envelope. The ingress verifies it with the matching public key.
 */
export function signWixWebhook(webhook: WixWebhook, key: KeyObject, now = new Date()): string {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(JSON.stringify({ data: JSON.stringify(webhook.envelope), iat: Math.floor(now.getTime() / 1000) }));
  const signature = sign('sha256', Buffer.from(`${header}.${claims}`), key).toString('base64url');
  return `${header}.${claims}.${signature}`;
}
