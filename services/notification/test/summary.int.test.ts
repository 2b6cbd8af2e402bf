import { createBus } from '@orderflow/kafka';
import { newEvent, type AnyEvent } from '@orderflow/events';
import { startTestBroker, tempDir, waitFor } from '@orderflow/testing';
import { startSmtpCapture } from './fakes';
import { ADMIN_EMAIL, anOrder, api, startNotification, stripeEvent, Topics, useNotificationStack } from './support';

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

describe('daily webhook summary', () => {
  // Hour 0: at any time of day, yesterday's summary is due, so starting the service sends it.
  const stack = useNotificationStack('notification_summary', () => ({ SUMMARY_HOUR: '0' }));
  const summariesFor = (date: string) => stack.smtp.to(ADMIN_EMAIL).filter((m) => m.subject.startsWith(`Webhook summary for ${date}:`));

  it('sends the summary at the configured hour once per date, across restarts', async () => {
    const yesterday = daysAgo(1);
    await waitFor(() => summariesFor(yesterday).length === 1, { description: "yesterday's summary" });
    expect(summariesFor(yesterday)[0].text).toContain('No webhooks were received.');

    await stack.restart();
    expect((await api(stack.running.url, `/admin/summary?date=${yesterday}`, { method: 'POST' })).body).toMatchObject({ created: false });
    // A marker mail: anything the restarted scheduler had written before it is sent before it.
    expect((await api(stack.running.url, `/admin/summary?date=${daysAgo(5)}`, { method: 'POST' })).status).toBe(202);
    await waitFor(() => summariesFor(daysAgo(5)).length === 1);
    expect(summariesFor(yesterday)).toHaveLength(1);
  });

  it("counts the day's webhooks by source (received, retried, failed) and mails them once on request", async () => {
    const today = daysAgo(0);
    const order = anOrder([{ kind: 'ticket' }]);
    const first = stripeEvent('payment_intent.succeeded', order.orderId);
    const bus = createBus({ brokers: stack.broker.brokers, clientId: 'ingress-double' });
    try {
      const producer = bus.createProducer();
      await producer.sendEvent(first);
      await producer.sendEvent(stripeEvent('payment_intent.succeeded', order.orderId));
      await producer.sendEvent(stripeEvent('charge.refunded', order.orderId));
      // The ingress replaying an event: same provider event ID, a new message.
      await producer.sendEvent(first);
      const wix = newEvent({ type: 'wix.ecom.v1.order_paid', eventId: `wix-${order.orderId}`, orderKey: order.orderId, instanceId: 'shop-a', traceId: 't', payload: { id: `wix-${order.orderId}`, entityId: 'w1', entity: { id: 'w1' } } });
      await producer.sendEvent(wix as AnyEvent);
    } finally {
      await bus.close();
    }
    await stack.deadLetter(Topics.stripeIngress, stripeEvent('charge.refunded', order.orderId));

    const activity = await waitFor(async () => {
      const res = await api(stack.running.url, `/admin/activity?date=${today}`);
      return res.body.totals?.received === 4 && res.body.totals.retried === 1 && res.body.totals.failed === 1 ? res.body : null;
    }, { description: "today's activity counted" });
    expect(activity.sources).toEqual([
      { source: 'stripe', received: 3, retried: 1, failed: 1 },
      { source: 'wix', received: 1, retried: 0, failed: 0 },
    ]);

    const requested = await api(stack.running.url, `/admin/summary?date=${today}`, { method: 'POST' });
    expect(requested.status).toBe(202);
    const mail = await waitFor(() => summariesFor(today)[0]);
    expect(mail.subject).toBe(`Webhook summary for ${today}: 4 received, 1 failed`);
    expect(mail.text).toContain('stripe: received 3, retried 1, failed 1');
    expect(mail.text).toContain('stripe payment_intent.succeeded: received 2, retried 1, failed 0');
    expect(mail.text).toContain('wix: received 1, retried 0, failed 0');
    expect(mail.html).toContain('<td>stripe</td><td align="right">3</td><td align="right">1</td><td align="right">1</td>');

    expect((await api(stack.running.url, `/admin/summary?date=${today}`, { method: 'POST' })).body).toEqual({ id: requested.body.id, date: today, created: false });
    expect((await api(stack.running.url, `/admin/summary?date=${daysAgo(6)}`, { method: 'POST' })).status).toBe(202);
    await waitFor(() => summariesFor(daysAgo(6)).length === 1);
    expect(summariesFor(today)).toHaveLength(1);
  });
});

describe('notification on PGlite (the one-machine mode)', () => {
  it('mails with no database URL', async () => {
    const broker = await startTestBroker();
    const smtp = await startSmtpCapture();
    const dir = tempDir();
    const running = await startNotification({ KAFKA_BROKERS: broker.brokers.join(','), DATA_DIR: dir.path, SMTP_URL: smtp.url });
    const bus = createBus({ brokers: broker.brokers, clientId: 'order-double' });
    try {
      const order = anOrder([{ kind: 'ticket' }]);
      await bus.createProducer().sendEvent(newEvent({ type: 'order.paid', eventId: `paid:${order.orderId}`, orderKey: order.orderId, instanceId: 'shop-a', traceId: 't', payload: order }) as AnyEvent);
      const mail = await waitFor(() => smtp.to(ADMIN_EMAIL)[0], { timeoutMs: 20_000 });
      expect(mail.subject).toContain(order.orderId);
    } finally {
      await bus.close();
      await running.close();
      await smtp.close();
      await broker.stop();
      dir.remove();
    }
  });
});
