import { createHmac } from 'node:crypto';

/**
 * The signed, expiring link to a customer's order history (the console's `/account`, seed 003).
 * The token is `v1.<claims>.<signature>`: claims are base64url JSON `{e: email, i: instance or
 * null, x: expiry in Unix seconds}`, the signature base64url HMAC-SHA256 with
 * CUSTOMER_LINK_SECRET over `orderflow-customer-link:v1:<claims>`. The console verifies it
 * (services/console/src/customer-link.ts); both sides are tested against one known token.
 *
 * The token rides in the URL's fragment (`/account#v1....`): browsers never send a fragment to
 * the server, so it stays out of access logs, proxies and Referer headers.
 */
export interface CustomerLinkClaims {
  /** The customer's address, trimmed and lower-cased: what the mail went to. */
  email: string;
  /** The shop whose orders the link shows; null for orders without an instance. */
  instanceId: string | null;
  /** Unix seconds. */
  expiresAt: number;
}

export function signCustomerLink(secret: string, claims: CustomerLinkClaims): string {
  const encoded = Buffer.from(JSON.stringify({ e: claims.email, i: claims.instanceId, x: claims.expiresAt })).toString('base64url');
  const signature = createHmac('sha256', secret).update(`orderflow-customer-link:v1:${encoded}`).digest('base64url');
  return `v1.${encoded}.${signature}`;
}

export interface AccountLinkOptions {
  /** The account page, e.g. `https://shop.example.com/account`. */
  url: string;
  secret: string;
  /** How long a mailed link opens the history. */
  ttlMs: number;
  clock?: () => number;
}

/** Links for the mails: each valid for `ttlMs` from when the mail is written. */
export class AccountLinks {
  constructor(private readonly options: AccountLinkOptions) {}

  for(email: string, instanceId: string | null): string {
    const now = (this.options.clock ?? Date.now)();
    const token = signCustomerLink(this.options.secret, { email: email.trim().toLowerCase(), instanceId, expiresAt: Math.floor((now + this.options.ttlMs) / 1000) });
    return `${this.options.url.replace(/#.*$/, '')}#${token}`;
  }
}
