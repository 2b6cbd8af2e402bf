import QRCode from 'qrcode';
import { createTestDatabase, waitFor } from '@orderflow/testing';
import { ADMIN_TOKEN, anOrder, api, fulfilled, startNotification, useNotificationStack } from './support';

type Listed = { id: string; channel: string; recipient: string; headline: string; kind: string; orderId: string };

describe('KEEP_UNSENT: what would have been sent, kept for the console (issue 22)', () => {
  // No SMTP_URL, Discord or Slack URL: as `npm start` runs it.
  const stack = useNotificationStack('notification_mailbox', () => ({ SMTP_URL: '', DISCORD_WEBHOOK_URL: '', SLACK_WEBHOOK_URL: '', KEEP_UNSENT: 'true', MAIL_FROM: '' }));
  const admin = (path: string) => api(stack.running.url, path, { bearer: ADMIN_TOKEN });

  it('keeps the confirmation mail whole — HTML, text and each ticket’s QR code — and the Discord embed, and sends nothing', async () => {
    const order = anOrder([{ kind: 'ticket', name: 'Gala', quantity: 1 }]);
    await stack.publish('order.paid', order, { orderKey: order.orderId });
    const outcome = fulfilled(order);
    await stack.publish('fulfillment.completed', outcome, { orderKey: order.orderId });

    const listed = await waitFor(async () => {
      const res = await admin('/admin/mailbox?limit=200');
      const items = (res.body.items as Listed[]).filter((n) => n.orderId === order.orderId);
      return items.some((n) => n.kind === 'order-confirmation') && items.some((n) => n.channel === 'discord') ? { items, channels: res.body.channels } : null;
    });
    expect(listed.channels).toEqual(['email', 'discord', 'slack']);
    const confirmation = listed.items.find((n) => n.kind === 'order-confirmation')!;
    expect(confirmation).toMatchObject({ channel: 'email', recipient: order.customer.email, headline: `Your order ${order.orderId} is confirmed` });

    const mail = (await admin(`/admin/mailbox/${confirmation.id}`)).body;
    // MAIL_FROM unset: the shop's name at a local address, never a refusal to start.
    expect(mail).toMatchObject({ from: 'Test Shop <orders@orderflow.localhost>', subject: `Your order ${order.orderId} is confirmed` });
    const ticket = outcome.tickets![0]!;
    const cid = `qr-${ticket.ticketId}@orderflow`;
    expect(mail.html).toContain(`src="cid:${cid}"`);
    expect(mail.text).toContain(`Code: ${ticket.code}`);
    expect(mail.attachments).toEqual([{ cid, filename: `qr-${ticket.ticketId}.png`, contentType: 'image/png' }]);
    const png = await fetch(`${stack.running.url}/admin/mailbox/${confirmation.id}/attachments/${encodeURIComponent(cid)}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await png.arrayBuffer()).equals(await QRCode.toBuffer(ticket.qrPayload!, { errorCorrectionLevel: 'M', margin: 2, width: 400 }))).toBe(true);

    // As a mail client shows it: the QR code inline, nothing to fetch.
    const shown = await fetch(`${stack.running.url}/admin/mailbox/${confirmation.id}/html`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(shown.headers.get('content-type')).toContain('text/html');
    const page = await shown.text();
    expect(page).not.toContain('cid:');
    expect(page).toContain(`src="data:image/png;base64,${(await QRCode.toBuffer(ticket.qrPayload!, { errorCorrectionLevel: 'M', margin: 2, width: 400 })).toString('base64')}"`);

    const embed = listed.items.find((n) => n.channel === 'discord')!;
    expect((await admin(`/admin/mailbox/${embed.id}`)).body.message.embeds[0].title).toBe(embed.headline);
    expect(stack.smtp.to(order.customer.email!)).toEqual([]);
    expect(stack.discord.requests).toEqual([]);
  });

  it('answers 404 for what it does not keep, and keeps its mailbox behind the admin token', async () => {
    expect((await admin('/admin/mailbox/999999')).status).toBe(404);
    expect((await admin('/admin/mailbox/1/attachments/nope')).status).toBe(404);
    expect((await api(stack.running.url, '/admin/mailbox', { bearer: null })).status).toBe(401);
  });

  it('keeps only what has nowhere to go, and has no mailbox without KEEP_UNSENT', async () => {
    // Postgres, not PGlite: two more services start here, and PGlite's start is the slow part.
    const db = await createTestDatabase('notification_mailbox_off');
    const base = { KAFKA_BROKERS: stack.broker.brokers.join(','), NOTIFICATION_DATABASE_URL: db.url, SMTP_URL: stack.smtp.url };
    try {
      const sending = await startNotification({ ...base, KEEP_UNSENT: 'true' });
      try {
        // KEEP_UNSENT with Discord and Slack unset keeps theirs; mail goes out by SMTP and is not listed.
        expect((await api(sending.url, '/admin/mailbox', { bearer: ADMIN_TOKEN })).body.channels).toEqual(['discord', 'slack']);
      } finally {
        await sending.close();
      }
      const off = await startNotification(base);
      try {
        expect((await api(off.url, '/admin/mailbox', { bearer: ADMIN_TOKEN })).status).toBe(404);
      } finally {
        await off.close();
      }
    } finally {
      await db.drop();
    }
  });
});
