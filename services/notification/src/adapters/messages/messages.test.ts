import type { OrderSnapshot } from '@orderflow/events';
import { DISCORD_STYLES, discordEmbed } from './discord-embeds';
import { EmailTemplates } from './email-templates';
import { OrderEmails } from './order-emails';
import { money } from './order-view';

const order: OrderSnapshot = {
  orderId: 'ord_1',
  instanceId: 'shop-a',
  source: 'checkout',
  status: 'PAID',
  previousStatus: 'PENDING',
  currency: 'eur',
  totalCents: 4_500,
  refundedCents: 0,
  customer: { email: 'ada@example.com', name: 'Ada <Lovelace>' },
  lines: [
    { lineId: 'l1', productId: 'gala', name: 'Gala & Dinner', quantity: 2, unitAmountCents: 2_000, kind: 'ticket', capacityKey: 'gala-2026' },
    { lineId: 'l2', productId: 'app', name: null, quantity: 1, unitAmountCents: 500, kind: 'license', capacityKey: null },
  ],
  registrations: [],
  references: { paymentIntentId: null, checkoutSessionId: null, wixOrderId: null, wixOrderNumber: '10042', cartId: null, checkoutId: null, externalReference: null },
  reason: null,
  causedBy: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

describe('messages', () => {
  const emails = new OrderEmails(new EmailTemplates(), 'Test Shop');

  it('formats minor units by the currency’s own decimals', () => {
    expect(money(1234, 'eur')).toBe('€12.34');
    expect(money(1234, 'JPY')).toBe('¥1,234');
  });

  it('renders the confirmation with ticket codes, QR payloads, license hints and escaped names', () => {
    const mail = emails.confirmation(order, {
      orderId: 'ord_1',
      tickets: [{ ticketId: 't1', lineId: 'l1', seat: 0, capacityKey: 'gala-2026', code: 'CODE-1', qrPayload: 'OF1.a.b.c.sig' }],
      licenses: [{ licenseId: '7', lineId: 'l2', productId: 'app', unit: 0, keyHint: '…WXYZ' }],
    });
    expect(mail.subject).toBe('Your order #10042 is confirmed');
    expect(mail.text).toContain('Hi Ada <Lovelace>,');
    expect(mail.text).toContain('  2 × Gala & Dinner  €40.00\n  1 × app  €5.00\n  Total: €45.00');
    expect(mail.text).toContain('Ticket 1 — Gala & Dinner\n  Code: CODE-1\n  QR (what the door scans): OF1.a.b.c.sig');
    expect(mail.text).toContain('Key ending in …WXYZ');
    expect(mail.html).toContain('Hi Ada &lt;Lovelace&gt;,');
    expect(mail.html).toContain('Gala &amp; Dinner');
    expect(mail.html).toContain('<code class="ticket-code" style="font-size: 18px">CODE-1</code>');
  });

  it('tells the customer to show the code at the door only when the mail carries tickets', () => {
    const withTicket = emails.confirmation(order, { orderId: 'ord_1', tickets: [{ ticketId: 't1', lineId: 'l1', seat: 0, capacityKey: 'gala-2026', code: 'CODE-1' }], licenses: [] });
    const licenseOnly = emails.confirmation(order, { orderId: 'ord_1', tickets: [], licenses: [{ licenseId: '7', lineId: 'l2', productId: 'app', unit: 0, keyHint: '…WXYZ' }] });
    expect(withTicket.text).toContain('show the code or the QR at the door');
    expect(withTicket.html).toContain('show the code or the QR at the door');
    expect(licenseOnly.text).not.toContain('at the door');
    expect(licenseOnly.html).not.toContain('at the door');
    expect(licenseOnly.text).toContain('Key ending in …WXYZ');
  });

  it('renders every other mail from its files', () => {
    expect(emails.paymentFailed({ ...order, status: 'FAILED', reason: 'card_declined' }).text).toContain('The payment provider said: card_declined');
    expect(emails.refund({ ...order, status: 'PARTIALLY_REFUNDED', refundedCents: 500 }).text).toContain('€5.00 of the €45.00 you paid for order #10042 has been refunded so far.');
    expect(emails.refund({ ...order, status: 'REFUNDED', refundedCents: 4_500 }).subject).toBe('Refund for your order #10042');
    expect(emails.adminNewOrder(order).subject).toBe('New order #10042: €45.00 from Ada <Lovelace> <ada@example.com>');
  });

  it('colours each Discord embed by event and never lets a customer name ping anyone', () => {
    const embed = discordEmbed('order.refunded', { ...order, status: 'REFUNDED', refundedCents: 4_500 }, '2026-01-01T00:00:00.000Z');
    expect(embed.embeds[0]).toMatchObject({ title: DISCORD_STYLES['order.refunded'].title, color: 0x9ca3af });
    expect(embed.embeds[0].fields).toContainEqual({ name: 'Refunded', value: '€45.00 of €45.00', inline: true });
    expect(embed.allowed_mentions).toEqual({ parse: [] });
    expect(new Set(Object.values(DISCORD_STYLES).map((s) => s.color)).size).toBe(6);
  });
});
