import { waitFor } from '@orderflow/testing';
import { anOrder, api, embedsOf, mailTo, metric, notificationsWhen, useNotificationStack } from './support';

const breakerState = (stack: ReturnType<typeof useNotificationStack>, channel: string) => stack.running.service.breakers()[channel as 'discord'];

describe('a dead channel', () => {
  const stack = useNotificationStack('notification_breaker', () => ({
    NOTIFY_RETRY_BASE: '50ms',
    NOTIFY_RETRY_MAX: '200ms',
    NOTIFY_MAX_ATTEMPTS: '50',
    BREAKER_RESET_TIMEOUT: '2s',
  }));

  it('opens its breaker without holding up the other channels, and catches up once when it is back', async () => {
    stack.discord.answer({ status: 500 });
    const order = anOrder([{ kind: 'ticket', name: 'Gala' }]);
    await stack.publish('order.pending', { ...order, status: 'PENDING' }, { orderKey: order.orderId });
    await stack.publish('order.paid', order, { orderKey: order.orderId });
    await stack.publish('order.refunded', { ...order, status: 'REFUNDED', refundedCents: order.totalCents }, { orderKey: order.orderId });

    await waitFor(() => breakerState(stack, 'discord') === 'open', { description: 'the discord breaker to open' });
    expect(await metric(stack, /^circuit_breaker_state\{.*breaker="discord"/)).toMatch(/ 2$/);
    const triesWhenOpened = stack.discord.requests.length;

    // Mail flows while Discord is shed: a refund mail for an event published after it opened.
    const later = anOrder([{ kind: 'license' }]);
    await stack.publish('order.refunded', { ...later, status: 'REFUNDED', refundedCents: later.totalCents }, { orderKey: later.orderId });
    await mailTo(stack, later.customer.email!);
    expect(breakerState(stack, 'discord')).toBe('open');
    expect(breakerState(stack, 'email')).toBe('closed');
    // Open means not called: at most the one trial of a half-open breaker since.
    expect(stack.discord.requests.length - triesWhenOpened).toBeLessThanOrEqual(1);

    stack.discord.answer({ status: 204 });
    const embeds = await waitFor(() => {
      const seen = embedsOf(stack, order.orderId);
      return seen.length === 3 && embedsOf(stack, later.orderId).length === 1 ? seen : null;
    }, { description: 'every embed once Discord is back' });
    expect(embeds.map((e) => e.color)).toEqual([0xeab308, 0x22c55e, 0x9ca3af]);
    await waitFor(() => breakerState(stack, 'discord') === 'closed');
    const listed = await notificationsWhen(stack, order.orderId, (items) => items.every((n) => n.status === 'SENT'), '&channel=discord');
    expect(listed).toHaveLength(3);
  });
});

describe('retries across a restart, and giving up', () => {
  const stack = useNotificationStack('notification_retries', () => ({ NOTIFY_RETRY_BASE: '2s', NOTIFY_MAX_ATTEMPTS: '2' }));

  it('resumes a retry scheduled before a restart, at its persisted time', async () => {
    const order = anOrder([{ kind: 'ticket' }]);
    stack.discord.queue({ status: 500 });
    await stack.publish('order.disputed', { ...order, status: 'DISPUTED' }, { orderKey: order.orderId });
    const [waiting] = await notificationsWhen(stack, order.orderId, (items) => items[0]?.attempts === 1 && items[0]?.lastError === 'discord answered 500');
    expect(waiting.status).toBe('PENDING');

    await stack.restart();

    await waitFor(() => embedsOf(stack, order.orderId).length === 1, { description: 'the retried embed after the restart' });
    const tries = stack.discord.requests.filter((r) => String(r.body.embeds[0].footer.text).endsWith(order.orderId));
    expect(tries).toHaveLength(2);
    expect(tries[1].at).toBeGreaterThanOrEqual(Date.parse(waiting.nextAttemptAt) - 5);
    expect((await notificationsWhen(stack, order.orderId, (items) => items[0]?.status === 'SENT'))[0].attempts).toBe(2);
  });

  it('fails a notification after the attempt limit, lists it, and sends it when resent by hand', async () => {
    const order = anOrder([{ kind: 'license' }]);
    stack.slack.answer({ status: 500 });
    await stack.publish('fulfillment.failed', { orderId: order.orderId, instanceId: 'shop-a', reason: 'pool exhausted', retriable: true }, { orderKey: order.orderId });

    const failed = await waitFor(
      async () => (await api(stack.running.url, '/admin/notifications?status=FAILED&channel=slack')).body.items.find((n: { orderId: string }) => n.orderId === order.orderId),
      { description: 'the alert to fail' },
    );
    expect(failed).toMatchObject({ kind: 'fulfillment-failed', attempts: 2, lastError: 'gave up after 2 attempts: slack answered 500' });
    expect(await metric(stack, /^notifications_total\{.*channel="slack".*outcome="failed"/)).toMatch(/ 1$/);

    stack.slack.answer({ status: 200 });
    expect((await api(stack.running.url, `/admin/notifications/${failed.id}/resend`, { method: 'POST' })).status).toBe(202);
    await waitFor(() => stack.slack.delivered((b) => b.text.includes(order.orderId)).length === 1);
    const [sent] = await notificationsWhen(stack, order.orderId, (items) => items[0]?.status === 'SENT');
    expect(sent).toMatchObject({ resends: 1, attempts: 1, lastError: null });
    expect(stack.slack.requests.filter((r) => r.body.text.includes(order.orderId))).toHaveLength(3);
  });
});
