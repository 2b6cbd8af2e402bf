import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * A customer's signed, expiring link to their order history (seed 003's `/account`). The token
 * is `v1.<claims>.<signature>`: claims are base64url JSON `{e: email, i: instance or null,
 * x: expiry in Unix seconds}`, the signature base64url HMAC-SHA256 with CUSTOMER_LINK_SECRET over
 * `orderflow-customer-link:v1:<claims>`. The notification service signs the links it mails
 * (services/notification/src/adapters/messages/account-link.ts); both sides test one known token.
 */
export interface CustomerLinkClaims {
  email: string;
  instanceId: string | null;
  /** Unix seconds. */
  expiresAt: number;
}

export type LinkCheck = { ok: true; claims: CustomerLinkClaims } | { ok: false; reason: 'malformed' | 'bad signature' | 'expired' };

const PREFIX = 'orderflow-customer-link:v1:';
/** Far longer than any real token; anything longer is refused before it is hashed or parsed. */
const MAX_TOKEN = 2_000;
const claimsSchema = z.object({ e: z.string().min(3).max(320), i: z.string().min(1).max(200).nullable(), x: z.number().int().positive() });

function mac(secret: string, encoded: string): Buffer {
  return createHmac('sha256', secret).update(`${PREFIX}${encoded}`).digest();
}

export function signCustomerLink(secret: string, claims: CustomerLinkClaims): string {
  const encoded = Buffer.from(JSON.stringify({ e: claims.email, i: claims.instanceId, x: claims.expiresAt })).toString('base64url');
  return `v1.${encoded}.${mac(secret, encoded).toString('base64url')}`;
}

/**
 * Checks the signature first, in constant time, and reads the claims only from a token this
 * secret signed; then the expiry. The email comes back lower-cased, as it was signed.
 */
export function verifyCustomerLink(secret: string, token: string, nowMs = Date.now()): LinkCheck {
  if (token.length > MAX_TOKEN) return { ok: false, reason: 'malformed' };
  const match = /^v1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!match) return { ok: false, reason: 'malformed' };
  const [, encoded, signature] = match;
  const given = Buffer.from(signature, 'base64url');
  const expected = mac(secret, encoded);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad signature' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const claims = claimsSchema.safeParse(parsed);
  if (!claims.success) return { ok: false, reason: 'malformed' };
  if (claims.data.x * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { email: claims.data.e.trim().toLowerCase(), instanceId: claims.data.i, expiresAt: claims.data.x } };
}
