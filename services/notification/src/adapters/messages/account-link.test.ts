import type { OrderSnapshot } from '@orderflow/events';
import { AccountLinks, signCustomerLink } from './account-link';
import { EmailTemplates } from './email-templates';
import { OrderEmails } from './order-emails';

const SECRET = 'customer-link-secret-for-tests-0123456789';
/**
 * The contract with the console, which verifies these links: the same claims and secret give
 * this exact token in services/console/src/customer-link.test.ts.
 */
const KNOWN_TOKEN = 'v1.eyJlIjoiYWRhQGV4YW1wbGUuY29tIiwiaSI6InNob3AtYSIsIngiOjE5MDAwMDAwMDB9.fju5oU0thBa9pP3NkIlRy9SSfRglJPk6ArW58UTomNc';

const order: OrderSnapshot = {
  orderId: 'ord_1',
  instanceId: 'shop-a',
  source: 'checkout',
  status: 'REFUNDED',
  previousStatus: 'FULFILLED',
  currency: 'eur',
  totalCents: 500,
  refundedCents: 500,
  customer: { email: ' Ada@Example.com ', name: 'Ada' },
  lines: [{ lineId: 'l1', productId: 'app', name: 'App', quantity: 1, unitAmountCents: 500, kind: 'license', capacityKey: null }],
  registrations: [],
  references: { paymentIntentId: null, checkoutSessionId: null, wixOrderId: null, wixOrderNumber: null, cartId: null, checkoutId: null, externalReference: null },
  reason: null,
  causedBy: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('account links', () => {
  const links = new AccountLinks({ url: 'https://shop.example.com/account', secret: SECRET, ttlMs: 3_600_000, clock: () => 1_900_000_000_000 - 3_600_000 });

  it('signs email, instance and expiry into the token the console verifies', () => {
    expect(signCustomerLink(SECRET, { email: 'ada@example.com', instanceId: 'shop-a', expiresAt: 1_900_000_000 })).toBe(KNOWN_TOKEN);
    expect(links.for(' Ada@Example.com', 'shop-a')).toBe(`https://shop.example.com/account#${KNOWN_TOKEN}`);
  });

  it('puts the link in every customer mail, for the address it goes to, and points license keys to it', () => {
    const emails = new OrderEmails(new EmailTemplates(), 'Test Shop', links);
    const confirmation = emails.confirmation(order, { orderId: 'ord_1', licenses: [{ licenseId: '7', lineId: 'l1', productId: 'app', unit: 0, keyHint: '…WXYZ' }] });
    expect(confirmation.text).toContain(`Your orders, tickets and license keys (a personal link; it expires): https://shop.example.com/account#${KNOWN_TOKEN}`);
    expect(confirmation.text).toContain('Key ending in …WXYZ. Open your orders (the link below) to see the full key.');
    expect(confirmation.html).toContain(`<a class="account-link" href="https://shop.example.com/account#${KNOWN_TOKEN}">`);
    expect(emails.refund(order).text).toContain(KNOWN_TOKEN);
    expect(emails.paymentFailed({ ...order, status: 'FAILED' }).html).toContain(KNOWN_TOKEN);
  });

  it('leaves the link out when none is configured', () => {
    const emails = new OrderEmails(new EmailTemplates(), 'Test Shop');
    const mail = emails.confirmation(order, { orderId: 'ord_1', licenses: [{ licenseId: '7', lineId: 'l1', productId: 'app', unit: 0, keyHint: '…WXYZ' }] });
    expect(mail.text).not.toContain('personal link');
    expect(mail.text).toContain('Sign in to your account on the shop to see the full key.');
  });
});
