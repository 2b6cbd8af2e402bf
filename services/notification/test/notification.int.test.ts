import QRCode from 'qrcode';
import { waitFor } from '@orderflow/testing';
import { ADMIN_EMAIL, anOrder, api, embedsOf, fulfilled, mailTo, metric, notificationsWhen, stripeEvent, Topics, useNotificationStack } from './support';

describe('notification (seeds 001, 003)', () => {
  const stack = useNotificationStack('notification_main');

  it('mails the confirmation with ticket codes, QR payloads and license hints once, however often fulfillment says so', async () => {
    const order = anOrder([{ kind: 'ticket', name: 'Gala <Night>', quantity: 2 }, { kind: 'license', name: 'Pro App' }]);
    const customer = order.customer.email!;
    await stack.publish('order.paid', order, { orderKey: order.orderId });
    // The two events travel on two topics, consumed side by side: the confirmation lists the
    // order's lines only once order.paid is in (its admin mail says so). In production
    // fulfillment.completed follows order.paid by a whole hop; here they would race.
    await waitFor(() => stack.smtp.to(ADMIN_EMAIL).find((m) => m.text.includes(order.orderId)));
    const outcome = fulfilled(order);
    const eventId = await stack.publish('fulfillment.completed', outcome, { orderKey: order.orderId });

    const confirmation = await mailTo(stack, customer);
    expect(confirmation.subject).toBe(`Your order ${order.orderId} is confirmed`);
    expect(confirmation.from).toBe('"Test Shop" <shop@shop.test>');
    for (const ticket of outcome.tickets!) {
      expect(confirmation.text).toContain(`Code: ${ticket.code}`);
      expect(confirmation.text).toContain(ticket.qrPayload);
      expect(confirmation.html).toContain(`>${ticket.code}</code>`);
      // The QR code itself, inline: a PNG of exactly the signed payload, shown by Content-ID.
      const cid = `qr-${ticket.ticketId}@orderflow`;
      expect(confirmation.html).toContain(`src="cid:${cid}"`);
      const image = confirmation.attachments.find((a) => a.contentId === cid);
      expect(image?.contentType).toBe('image/png');
      expect(image?.content.equals(await QRCode.toBuffer(ticket.qrPayload!, { errorCorrectionLevel: 'M', margin: 2, width: 400 }))).toBe(true);
    }
    expect(confirmation.text).toContain('2 × Gala <Night>  €50.00');
    expect(confirmation.html).toContain('Gala &lt;Night&gt;');
    expect(confirmation.text).toContain('Key ending in …K0ZZ');
    const admin = await waitFor(() => stack.smtp.to(ADMIN_EMAIL).find((m) => m.text.includes(order.orderId)));
    expect(admin.subject).toBe(`New order ${order.orderId}: €75.00 from Ada <${customer}>`);

    // Redelivered (same ID), a new round with the same items (an admin's retry), then a round
    // that issued one more ticket: only that ticket is mailed, and it is the marker that the
    // two before it were handled and sent nothing.
    await stack.publish('fulfillment.completed', outcome, { orderKey: order.orderId, eventId });
    await stack.publish('fulfillment.completed', outcome, { orderKey: order.orderId });
    const extra = { ticketId: 'tkt_promoted', lineId: order.lines[0].lineId, seat: 2, capacityKey: 'event-0', code: 'CODE-PROMOTED', qrPayload: 'OF1.promoted' };
    await stack.publish('fulfillment.completed', { ...outcome, tickets: [...outcome.tickets!, extra] }, { orderKey: order.orderId });

    const added = await mailTo(stack, customer, 2);
    expect(added.subject).toBe(`More of your order ${order.orderId} is ready`);
    expect(added.text).toContain('Code: CODE-PROMOTED');
    expect(added.text).not.toContain(outcome.tickets![0].code);
    expect(stack.smtp.to(customer)).toHaveLength(2);
    const listed = await notificationsWhen(stack, order.orderId, (items) => items.every((n) => n.status !== 'PENDING'), '&channel=email');
    expect(listed.map((n) => [n.kind, n.status])).toEqual([
      ['tickets-added', 'SENT'],
      ['order-confirmation', 'SENT'],
      ['admin-new-order', 'SENT'],
    ]);
    expect(confirmation.messageId).toBe(`<notification-${listed[1].id}.0@shop.test>`);
  });

  it('mails the customer when the payment fails and when the order is refunded', async () => {
    const failed = { ...anOrder([{ kind: 'ticket', name: 'Workshop' }]), status: 'FAILED' as const, reason: 'Your card was declined.' };
    await stack.publish('order.payment_failed', failed, { orderKey: failed.orderId });
    const declined = await mailTo(stack, failed.customer.email!);
    expect(declined.subject).toBe(`Your payment for order ${failed.orderId} did not go through`);
    expect(declined.text).toContain('we could not take the payment of €25.00');
    expect(declined.text).toContain('The payment provider said: Your card was declined.');
    expect(declined.html).toContain('<em class="reason">Your card was declined.</em>');

    const order = anOrder([{ kind: 'ticket', name: 'Workshop', quantity: 2 }]);
    await stack.publish('order.refunded', { ...order, status: 'PARTIALLY_REFUNDED', refundedCents: 2_500 }, { orderKey: order.orderId });
    await stack.publish('order.refunded', { ...order, status: 'REFUNDED', refundedCents: 5_000 }, { orderKey: order.orderId });
    const partial = await mailTo(stack, order.customer.email!);
    const full = await mailTo(stack, order.customer.email!, 2);
    expect(partial.text).toContain(`€25.00 of the €50.00 you paid for order ${order.orderId} has been refunded so far.`);
    expect(full.text).toContain(`your order ${order.orderId} has been refunded in full: €50.00.`);
  });

  it('posts one colour-coded Discord embed per order event, and nothing for a replayed one', async () => {
    const order = anOrder([{ kind: 'ticket', name: 'Gala', quantity: 2 }]);
    const at = (status: typeof order.status, extra: Partial<typeof order> = {}) => ({ ...order, status, ...extra });
    await stack.publish('checkout.started', { lockId: 'lock-1', cartId: 'cart-1', instanceId: 'shop-a', orderId: order.orderId, phase: 'reserve', reason: null, expired: false, order: at('PENDING') }, { orderKey: order.orderId });
    await stack.publish('order.pending', at('PENDING'), { orderKey: order.orderId });
    const paid = await stack.publish('order.paid', at('PAID'), { orderKey: order.orderId });
    await stack.publish('order.payment_failed', at('FAILED', { reason: 'card_declined' }), { orderKey: order.orderId });
    await stack.publish('order.refunded', at('REFUNDED', { refundedCents: 5_000, reason: 'requested_by_customer' }), { orderKey: order.orderId });
    await stack.publish('order.disputed', at('DISPUTED', { reason: 'fraudulent' }), { orderKey: order.orderId });
    await stack.publish('order.paid', at('PAID'), { orderKey: order.orderId, eventId: paid });
    await stack.publish('order.pending', at('PENDING'), { orderKey: order.orderId });

    const embeds = await waitFor(() => {
      const seen = embedsOf(stack, order.orderId);
      return seen.length === 7 ? seen : null;
    });
    expect(embeds.map((e) => e.color)).toEqual([0xf97316, 0xeab308, 0x22c55e, 0xef4444, 0x9ca3af, 0xa855f7, 0xeab308]);
    expect(embeds[2].title).toBe('🎉 Order completed');
    expect(embeds[2].fields).toEqual(
      expect.arrayContaining([
        { name: 'Order', value: order.orderId, inline: true },
        { name: 'Customer', value: `Ada <${order.customer.email}>`, inline: true },
        { name: 'Amount', value: '€50.00', inline: true },
        { name: 'Items', value: '2 × Gala — €50.00' },
      ]),
    );
    expect(embeds[4].fields).toContainEqual({ name: 'Reason', value: 'requested_by_customer' });
    expect(stack.discord.requests.every((r) => r.path === '/api/webhooks/1/discord-token')).toBe(true);
  });

  it('waits out a Discord 429 for its retry_after without counting it against the breaker', async () => {
    const order = anOrder([{ kind: 'license' }]);
    stack.discord.queue({ status: 429, retryAfter: 0.8 });
    await stack.publish('order.disputed', { ...order, status: 'DISPUTED' }, { orderKey: order.orderId });

    await waitFor(() => embedsOf(stack, order.orderId).length === 1);
    const tries = stack.discord.requests.filter((r) => String(r.body.embeds[0].footer.text).endsWith(order.orderId));
    expect(tries.map((r) => (r.answer === 'hang' ? 'hang' : r.answer.status))).toEqual([429, 204]);
    expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(800);
    const [sent] = await notificationsWhen(stack, order.orderId, (items) => items[0]?.status === 'SENT');
    expect(sent.attempts).toBe(1);
    expect(await metric(stack, /^circuit_breaker_state\{.*breaker="discord"/)).toMatch(/ 0$/);
    expect(await metric(stack, /^notification_retries_total\{.*channel="discord".*reason="rate_limited"/)).toMatch(/ 1$/);
  });

  it('abandons a hanging Slack call at the timeout and sends the alert on the next attempt', async () => {
    const order = anOrder([{ kind: 'license' }]);
    stack.slack.queue('hang');
    await stack.publish('fulfillment.failed', { orderId: order.orderId, instanceId: 'shop-a', reason: 'the license pool of product app is exhausted', retriable: true }, { orderKey: order.orderId });

    const alert = await waitFor(() => stack.slack.delivered((b) => b.text.includes(order.orderId))[0]);
    expect(alert.body.text).toContain('*Fulfillment failed*');
    expect(alert.body.text).toContain('the license pool of product app is exhausted');
    const tries = stack.slack.requests.filter((r) => r.body.text.includes(order.orderId));
    expect(tries.map((r) => r.answer)).toEqual(['hang', { status: 200 }]);
    expect(tries[1].at - tries[0].at).toBeGreaterThanOrEqual(500);
    const [sent] = await notificationsWhen(stack, order.orderId, (items) => items[0]?.status === 'SENT');
    expect(sent).toMatchObject({ channel: 'slack', attempts: 2 });
  });

  it('alerts on-call once about a payment no order could be found for', async () => {
    const ref = `pi_unmatched_${Date.now()}`;
    const payload = { provider: 'stripe', providerPaymentRef: ref, amountCents: 4_200, currency: 'eur', causeType: 'payment_intent.succeeded', causeEventId: `stripe:evt_${ref}` };
    await stack.publish('payment.unmatched', payload, { orderKey: ref, eventId: `payment.unmatched:${ref}` });
    await stack.publish('payment.unmatched', payload, { orderKey: ref, eventId: `payment.unmatched:${ref}` });

    // A later alert on the same key (so the same partition, after the duplicate) as the marker.
    await stack.publish('payment.unmatched', { ...payload, providerPaymentRef: `${ref}-marker` }, { orderKey: ref });
    await waitFor(() => stack.slack.delivered((b) => b.text.includes(`${ref}-marker`)).length === 1);
    const alerts = stack.slack.delivered((b) => b.text.includes(`\`${ref}\``));
    expect(alerts).toHaveLength(1);
    expect(alerts[0].body.text).toContain('*Unmatched payment*: 42.00 EUR from stripe');
  });

  it('alerts on a window of refused webhook signatures', async () => {
    const replica = `ingress-${Date.now()}`;
    const now = new Date();
    await stack.publish(
      'ingress.signature_failures',
      { replica, windowStart: new Date(now.getTime() - 60_000).toISOString(), windowEnd: now.toISOString(), total: 7, bySource: { stripe: 6, wix: 1 }, reasons: ['No signatures found matching the expected signature for payload'] },
      { orderKey: replica },
    );
    const alert = await waitFor(() => stack.slack.delivered((b) => b.text.includes(replica))[0]);
    expect(alert.body.text).toContain('*Webhook signatures refused*: 7');
    expect(alert.body.text).toContain('stripe: 6, wix: 1');
  });

  it('alerts when a partner subscription is disabled', async () => {
    const subscriptionId = `sub_${Date.now()}`;
    await stack.publish('subscription.disabled', { subscriptionId, instanceId: 'shop-a', endpoint: 'https://partner.example', reason: 'the endpoint answered 410 Gone', failingSince: null }, { orderKey: subscriptionId });
    const alert = await waitFor(() => stack.slack.delivered((b) => b.text.includes(subscriptionId))[0]);
    expect(alert.body.text).toContain('*Partner subscription disabled*');
    expect(alert.body.text).toContain('https://partner.example');
  });

  it('alerts on every dead-lettered event, and once when more than 5 webhooks failed within the hour', async () => {
    const orderKey = `ord_dead_letters`;
    const events = Array.from({ length: 8 }, () => stripeEvent('payment_intent.succeeded', orderKey));
    for (const event of events) await stack.deadLetter(Topics.stripeIngress, event);

    // The eighth alert is the marker: the same key keeps the dead letters in one partition, in order.
    await waitFor(() => stack.slack.delivered((b) => b.text.includes(events[7].eventId)).length === 1);
    const deadLetterAlerts = stack.slack.delivered((b) => b.text.includes('*Event dead-lettered*') && b.text.includes(orderKey));
    expect(deadLetterAlerts).toHaveLength(8);
    expect(deadLetterAlerts[0].body.text).toContain('`ingress.stripe.events` by `order-service` (retries-exhausted, 5 attempts)');
    const bursts = stack.slack.delivered((b) => b.text.includes('*Repeated webhook failures*'));
    expect(bursts).toHaveLength(1);
    expect(bursts[0].body.text).toContain('6 provider events dead-lettered in the last hour (more than 5). stripe: 6.');
  });

  it('fails a message Discord refuses for good at once, without retrying it or counting it against the breaker', async () => {
    const order = anOrder([{ kind: 'license' }]);
    stack.discord.queue({ status: 400 });
    await stack.publish('order.disputed', { ...order, status: 'DISPUTED' }, { orderKey: order.orderId });
    const [failed] = await notificationsWhen(stack, order.orderId, (items) => items[0]?.status === 'FAILED');
    expect(failed).toMatchObject({ attempts: 1, lastError: 'discord answered 400: {"message": "Invalid Form Body", "code": 50035}' });
    expect(stack.running.service.breakers().discord).toBe('closed');
  });

  it('notifies nobody about an event older than NOTIFY_MAX_EVENT_AGE (a first deployment reading history)', async () => {
    const order = anOrder([{ kind: 'ticket' }]);
    await stack.publish('order.paid', order, { orderKey: order.orderId, occurredAt: new Date(Date.now() - 2 * 86_400_000) });
    await stack.publish('order.disputed', { ...order, status: 'DISPUTED' }, { orderKey: order.orderId });
    await waitFor(() => embedsOf(stack, order.orderId).length === 1);
    expect(embedsOf(stack, order.orderId).map((e) => e.color)).toEqual([0xa855f7]);
    expect(await notificationsWhen(stack, order.orderId, () => true)).toHaveLength(1);
    expect(await metric(stack, /^notification_events_too_old_total/)).toMatch(/ 1$/);
  });

  it('lists notifications by filter, and guards the admin API', async () => {
    expect((await api(stack.running.url, '/admin/notifications?channel=discord&status=SENT&limit=2')).body.items).toHaveLength(2);
    expect((await api(stack.running.url, '/admin/notifications?status=LOST')).status).toBe(400);
    expect((await api(stack.running.url, '/admin/notifications', { bearer: 'wrong-token-0123456789' })).status).toBe(401);
    expect((await api(stack.running.url, '/admin/notifications/999999/resend', { method: 'POST' })).status).toBe(404);
    expect((await api(stack.running.url, '/admin/summary?date=yesterday', { method: 'POST' })).status).toBe(400);
  });
});
