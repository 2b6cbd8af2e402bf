import { waitFor } from '@orderflow/testing';
import { ADMIN_EMAIL, anOrder, embedsOf, metric, notificationsWhen, useNotificationStack } from './support';

/** Runs the orders.events handler was called for since the service started: one per run or lone event. */
async function handlerCalls(stack: ReturnType<typeof useNotificationStack>): Promise<number> {
  const line = await metric(stack, /^orderflow_consumer_handler_duration_seconds_count\{.*topic="orders\.events"/);
  return Number(line?.split(' ').pop() ?? 0);
}

const adminMailsAbout = (stack: ReturnType<typeof useNotificationStack>, orderId: string) =>
  stack.smtp.to(ADMIN_EMAIL).filter((mail) => mail.subject.includes(orderId) || mail.text.includes(orderId));

describe('a backlog handed to the consumer in runs', () => {
  // No poll within a test: whatever is sent was sent because a commit or a send made it due.
  const stack = useNotificationStack('notification_batches', () => ({ NOTIFY_BATCH_SIZE: '3', NOTIFY_POLL_INTERVAL: '1h' }));

  it('handles a backlog in runs of NOTIFY_BATCH_SIZE, each event notified once, an event delivered again not at all', async () => {
    const key = `backlog-${Date.now()}`;
    const seen = anOrder([{ kind: 'license' }]);
    const seenEventId = await stack.publish('order.disputed', { ...seen, status: 'DISPUTED' }, { orderKey: key });
    await waitFor(() => embedsOf(stack, seen.orderId).length === 1);

    const backlog = Array.from({ length: 7 }, () => anOrder([{ kind: 'license' }]));
    await stack.restart(async () => {
      // One partition (one key): the restarted consumer fetches all eight at once.
      await stack.publish('order.disputed', { ...seen, status: 'DISPUTED' }, { orderKey: key, eventId: seenEventId });
      for (const order of backlog) await stack.publish('order.disputed', { ...order, status: 'DISPUTED' }, { orderKey: key });
    });

    await waitFor(() => backlog.every((order) => embedsOf(stack, order.orderId).length === 1), { description: 'an embed for every order of the backlog' });
    expect(embedsOf(stack, seen.orderId)).toHaveLength(1);
    for (const order of backlog) expect(await notificationsWhen(stack, order.orderId, (items) => items[0]?.status === 'SENT')).toHaveLength(1);
    // Eight events in runs of at most three.
    expect(await handlerCalls(stack)).toBe(3);
  });

  it('dead-letters the poison event of a run and notifies about the others', async () => {
    const key = `poison-${Date.now()}`;
    const [before, poisoned, after] = [anOrder([{ kind: 'license' }]), anOrder([{ kind: 'license' }]), anOrder([{ kind: 'license' }])];
    let poisonId = '';
    await stack.restart(async () => {
      await stack.publish('order.disputed', { ...before, status: 'DISPUTED' }, { orderKey: key });
      // Postgres refuses a NUL character in jsonb: this event can never be written.
      poisonId = await stack.publish('order.disputed', { ...poisoned, status: 'DISPUTED', customer: { ...poisoned.customer, name: 'Ada\u0000' } }, { orderKey: key });
      await stack.publish('order.disputed', { ...after, status: 'DISPUTED' }, { orderKey: key });
    });

    await waitFor(() => embedsOf(stack, after.orderId).length === 1, { description: 'the embed for the event after the poison one' });
    expect(embedsOf(stack, before.orderId)).toHaveLength(1);
    const alert = await waitFor(() => stack.slack.delivered((b) => b.text.includes('*Event dead-lettered*') && b.text.includes(poisonId))[0], { description: 'the dead-letter alert' });
    expect(alert.body.text).toContain('on `orders.events` by `notification-service` (retries-exhausted, 5 attempts)');
    expect(embedsOf(stack, poisoned.orderId)).toHaveLength(0);
  });

  it('mails a backlog over several relay connections at once, each mail once', async () => {
    const key = `mails-${Date.now()}`;
    const orders = Array.from({ length: 9 }, () => anOrder([{ kind: 'external' }]));
    await stack.restart(async () => {
      for (const order of orders) await stack.publish('order.paid', order, { orderKey: key });
    });
    // Each paid order mails the shop's admin; one claim sends up to SMTP_CONNECTIONS of them at once.
    await waitFor(() => orders.every((order) => adminMailsAbout(stack, order.orderId).length === 1), { description: 'an admin mail for every order' });
    expect(stack.smtp.mostConnections).toBeGreaterThan(1);
    for (const order of orders) expect(await notificationsWhen(stack, order.orderId, (items) => items.some((n) => n.channel === 'email' && n.status === 'SENT'))).toEqual(
      expect.arrayContaining([expect.objectContaining({ channel: 'email', status: 'SENT', attempts: 1 })]),
    );
  });

  it("sends one order's notifications back to back: the statement recording a send claims the next", async () => {
    const order = anOrder([{ kind: 'ticket' }]);
    await stack.restart(async () => {
      await stack.publish('order.pending', { ...order, status: 'PENDING' }, { orderKey: order.orderId });
      await stack.publish('order.paid', order, { orderKey: order.orderId });
      await stack.publish('order.disputed', { ...order, status: 'DISPUTED' }, { orderKey: order.orderId });
    });
    // One run, one wake: each embed waits for the one before it, and only the send of that one can let it go.
    const embeds = await waitFor(() => {
      const seen = embedsOf(stack, order.orderId);
      return seen.length === 3 ? seen : null;
    }, { description: 'three embeds without a poll' });
    expect(embeds.map((e) => e.color)).toEqual([0xeab308, 0x22c55e, 0xa855f7]);
  });
});
