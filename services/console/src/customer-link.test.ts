import { signCustomerLink, verifyCustomerLink } from './customer-link';

const SECRET = 'customer-link-secret-for-tests-0123456789';
/**
 * The contract with the notification service, which signs the links it mails: the same claims
 * and secret give this exact token in services/notification/src/adapters/messages/account-link.test.ts.
 */
const KNOWN_TOKEN = 'v1.eyJlIjoiYWRhQGV4YW1wbGUuY29tIiwiaSI6InNob3AtYSIsIngiOjE5MDAwMDAwMDB9.fju5oU0thBa9pP3NkIlRy9SSfRglJPk6ArW58UTomNc';
const BEFORE_EXPIRY = 1_899_999_999_000;

describe('customer links', () => {
  it('verifies the token the notification service signs, and signs it the same way', () => {
    expect(signCustomerLink(SECRET, { email: 'ada@example.com', instanceId: 'shop-a', expiresAt: 1_900_000_000 })).toBe(KNOWN_TOKEN);
    expect(verifyCustomerLink(SECRET, KNOWN_TOKEN, BEFORE_EXPIRY)).toEqual({ ok: true, claims: { email: 'ada@example.com', instanceId: 'shop-a', expiresAt: 1_900_000_000 } });
  });

  it('refuses an expired link, and one signed with another secret', () => {
    expect(verifyCustomerLink(SECRET, KNOWN_TOKEN, 1_900_000_000_000)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyCustomerLink(`${SECRET}-other`, KNOWN_TOKEN, BEFORE_EXPIRY)).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('refuses claims changed after signing: another email, another shop, a later expiry', () => {
    const [, , signature] = KNOWN_TOKEN.split('.');
    for (const claims of [{ e: 'eve@example.com', i: 'shop-a', x: 1_900_000_000 }, { e: 'ada@example.com', i: 'shop-b', x: 1_900_000_000 }, { e: 'ada@example.com', i: 'shop-a', x: 2_900_000_000 }]) {
      const forged = `v1.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      expect(verifyCustomerLink(SECRET, forged, BEFORE_EXPIRY)).toEqual({ ok: false, reason: 'bad signature' });
    }
  });

  it('refuses malformed tokens without throwing', () => {
    const signedJunk = (encoded: string) => signCustomerLink(SECRET, { email: 'x@example.com', instanceId: null, expiresAt: 1 }).replace(/^v1\.[^.]+/, `v1.${encoded}`);
    for (const token of ['', 'v1', 'v2.a.b', 'v1..', `v1.${'a'.repeat(3_000)}.b`, 'v1.a.b.c', signedJunk('bm90IGpzb24')]) {
      expect(verifyCustomerLink(SECRET, token, BEFORE_EXPIRY).ok).toBe(false);
    }
    // Correctly signed, but not our claims' shape.
    const encoded = Buffer.from(JSON.stringify({ e: 'a@b.c' })).toString('base64url');
    const token = `v1.${encoded}.${require('node:crypto').createHmac('sha256', SECRET).update(`orderflow-customer-link:v1:${encoded}`).digest('base64url')}`;
    expect(verifyCustomerLink(SECRET, token, BEFORE_EXPIRY)).toEqual({ ok: false, reason: 'malformed' });
  });
});
